// Every kind of bad input ends with a located, readable error and a non-zero exit code — never a stack trace.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { test } from "node:test";
import { chat, jsonl, LLAMA2, runCli, tempDir, writeFixture } from "./helpers.js";

const dir = tempDir();

async function expectFailure(args: string[], ...patterns: RegExp[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(...args);
  const text = `${stdout}\n${stderr}`;
  assert.notEqual(code, 0, `exit code 0 for ${args.join(" ")}:\n${text}`);
  assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, "a stack trace was printed");
  assert.doesNotMatch(text, /internal error/);
  for (const p of patterns) assert.match(text, p);
  return text;
}

test("malformed JSON lines are listed with their line numbers", async () => {
  const file = writeFixture(dir, "malformed.jsonl", `${JSON.stringify(chat("a", "b"))}\n{"messages": [\n${JSON.stringify(chat("c", "d"))}\n`);
  await expectFailure(["data", "check", file], /malformed\.jsonl:2: malformed JSON/);
});

test("wrong types name the field and what is expected", async () => {
  const file = writeFixture(dir, "types.jsonl", jsonl([{ messages: [{ role: "user", content: ["x"] }, { role: "assistant", content: 3 }] }, { messages: "hi" }]));
  await expectFailure(
    ["data", "check", file],
    /types\.jsonl:1 \(messages\[0\]\.content\): expected a string, got a list/,
    /types\.jsonl:1 \(messages\[1\]\.content\): expected a string, got number 3/,
    /types\.jsonl:2 \(messages\): expected a list of messages, got a string/,
  );
});

test("empty files, and files with only blank lines, are refused", async () => {
  await expectFailure(["data", "check", writeFixture(dir, "empty.jsonl", "")], /empty\.jsonl: the file is empty/);
  await expectFailure(["data", "check", writeFixture(dir, "blank.jsonl", "\n\r\n  \n")], /blank\.jsonl: the file holds no records/);
});

test("a CSV whose columns match no format says which columns it has and which are expected", async () => {
  const file = writeFixture(dir, "columns.csv", "question,answer\nhi,there\n");
  await expectFailure(["data", "check", file], /columns\.csv, line 2: the first record's fields \(question, answer\) match no data format; expected/);
});

test("a CSV row with missing fields is located", async () => {
  const file = writeFixture(dir, "short.csv", "instruction,input,output\nSay hi,,hello\nonly one\n");
  await expectFailure(["data", "check", file], /short\.csv:3: 1 fields, but the header has 3 columns/);
});

test("a Parquet file without the needed columns is refused with its columns named", async () => {
  const file = "test/data/fixtures/wrong-columns.parquet";
  await expectFailure(["data", "check", file], /wrong-columns\.parquet, line 1: the first record's fields \(question, answer\) match no data format/);
});

test("binary garbage is refused as not text; a .parquet that is not Parquet too", async () => {
  const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256);
  await expectFailure(["data", "check", writeFixture(dir, "garbage.jsonl", garbage)], /garbage\.jsonl: binary data/);
  await expectFailure(["data", "check", writeFixture(dir, "garbage.parquet", garbage)], /garbage\.parquet: not a readable Parquet file/);
  await expectFailure(["data", "check", writeFixture(dir, "latin1.csv", Buffer.from("text\ncaf\xe9\n", "latin1"))], /latin1\.csv: not valid UTF-8/);
});

test("a 10 MB single line is refused with its size and line", async () => {
  const huge = JSON.stringify({ text: "x".repeat(10 * 1024 * 1024) });
  const file = writeFixture(dir, "huge.jsonl", `${JSON.stringify({ text: "fine" })}\n${huge}\n`);
  await expectFailure(["data", "check", file], /huge\.jsonl:2: the line is 10\.0 MiB, over the 4 MiB limit/);
});

test("a model folder without a chat template suggests --chat-template", async () => {
  const file = writeFixture(dir, "ok.jsonl", jsonl([chat("hi", "hello")]));
  await expectFailure(["data", "prepare", file, "--model", LLAMA2, "--out", `${dir}/out`], /has no chat template/, /hint: pass --chat-template/);
  const { code } = await runCli("data", "prepare", file, "--model", LLAMA2, "--out", `${dir}/out`, "--chat-template", "llama2");
  assert.equal(code, 0);
});

test("a missing file, an unknown extension and a folder without tokenizer.json are refused", async () => {
  await expectFailure(["data", "check", `${dir}/nope.jsonl`], /nope\.jsonl: cannot read/);
  await expectFailure(["data", "check", writeFixture(dir, "data.txt", "hello")], /data\.txt: unsupported file type "\.txt"/);
  const file = writeFixture(dir, "ok2.jsonl", jsonl([chat("hi", "hello")]));
  await expectFailure(["data", "check", file, "--model", dir], /no tokenizer\.json in this folder/);
});

test("a template that raises on the role order is reported for that record", async () => {
  const file = writeFixture(dir, "order.jsonl", jsonl([{ messages: [{ role: "assistant", content: "first" }, { role: "user", content: "q" }, { role: "assistant", content: "a" }] }]));
  await expectFailure(["data", "prepare", file, "--model", LLAMA2, "--out", `${dir}/out2`, "--chat-template", "llama2"], /order\.jsonl:1: the chat template refused this conversation: Conversation roles must alternate/);
});

test("bad option values are refused", async () => {
  const file = writeFixture(dir, "ok3.jsonl", jsonl([chat("hi", "hello")]));
  await expectFailure(["data", "check", file, "--val-fraction", "1.5"], /--val-fraction expects a number in \[0, 0\.99\]/);
});

test("inspect on a prepared folder names the file and line of a malformed train.jsonl line (issue 15)", async () => {
  const prepared = `${dir}/prepared-torn`;
  mkdirSync(prepared);
  writeFixture(dir, "prepared-torn/train.jsonl", '{"input_ids":[1,2,3],"labels":[-100,2,3]}\n{"input_ids":[1,2\n');
  writeFixture(dir, "prepared-torn/val.jsonl", "");
  await expectFailure(["data", "inspect", prepared, "--model", LLAMA2], /prepared-torn\/train\.jsonl, line 2: not valid JSON/);
  writeFixture(dir, "prepared-torn/train.jsonl", '{"input_ids":[1,2,3],"labels":[-100,2]}\n');
  await expectFailure(["data", "inspect", prepared, "--model", LLAMA2], /train\.jsonl, line 1, labels: expected an array of 3 labels/);
});
