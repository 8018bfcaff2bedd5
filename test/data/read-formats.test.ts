// Readers (JSONL with BOM/CRLF, JSON, CSV, Parquet) and the formats they normalize to one record type.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRecords, type TrainingRecord } from "../../src/data/index.js";
import { chat, jsonl, tempDir, writeFixture } from "./helpers.js";

const dir = tempDir();

function messagesOf(r: TrainingRecord) {
  assert.equal(r.kind, "chat");
  return r.kind === "chat" ? r.messages : [];
}

test("JSONL with a BOM, CRLF line ends and blank lines; locations are file lines", async () => {
  const body = `\uFEFF${JSON.stringify(chat("Hi", "Hello"))}\r\n\r\n${JSON.stringify(chat("Cafe\u0301", "Yes\r\nno"))}\r\n`;
  const { records, problems } = await loadRecords([writeFixture(dir, "bom.jsonl", body)]);
  assert.deepEqual(problems, []);
  assert.deepEqual(records.map((r) => r.source.line), [1, 3]);
  assert.equal(messagesOf(records[1])[0].content, "Café", "NFC");
  assert.equal(messagesOf(records[1])[1].content, "Yes\nno", "CRLF inside content");
});

test(".json: an array, or an object holding one array", async () => {
  const array = await loadRecords([writeFixture(dir, "a.json", JSON.stringify([{ text: "one" }, { text: "two" }]))]);
  assert.deepEqual(array.records.map((r) => (r.kind === "text" ? r.text : "")), ["one", "two"]);
  const wrapped = await loadRecords([writeFixture(dir, "b.json", JSON.stringify({ version: 1, data: [{ text: "x" }] }))]);
  assert.equal(wrapped.records.length, 1);
});

test("CSV: quoted fields with commas, quotes and newlines; CRLF; JSON message lists in a column", async () => {
  const csv = 'instruction,input,output\r\n"Say ""hi"", twice","","hi,\r\nhi"\r\nAdd,1 and 2,3\r\n';
  const { records } = await loadRecords([writeFixture(dir, "a.csv", csv)]);
  assert.deepEqual(messagesOf(records[0]).map((m) => m.content), ['Say "hi", twice', "hi,\nhi"]);
  assert.deepEqual(messagesOf(records[1]).map((m) => m.content), ["Add\n\n1 and 2", "3"]);
  assert.equal(records[1].source.line, 4, "the row starts on line 4 (the quoted field spans two lines)");
  const messagesCsv = `messages\n"${JSON.stringify(chat("q", "a").messages).replaceAll('"', '""')}"\n`;
  assert.equal((await loadRecords([writeFixture(dir, "m.csv", messagesCsv)])).records[0].format, "messages");
});

test("Parquet with snappy, zstd and gzip pages", async () => {
  const { records, files } = await loadRecords([
    "test/data/fixtures/chat-snappy.parquet",
    "test/data/fixtures/alpaca-zstd.parquet",
    "test/data/fixtures/text-gzip.parquet",
  ]);
  assert.deepEqual(files.map((f) => f.format), ["messages", "alpaca", "text"]);
  assert.equal(messagesOf(records[0])[1].content, "Hello from parquet");
  assert.equal(messagesOf(records[2])[0].content, "Add\n\n1 and 2");
  assert.deepEqual(records.map((r) => r.source.line), [1, 2, 1, 2, 1, 2]);
});

test("ShareGPT roles, Alpaca, prompt/completion (strings and lists), text, weights and role aliases", async () => {
  const rows = [
    { conversations: [{ from: "system", value: "S" }, { from: "human", value: "Q" }, { from: "gpt", value: "A" }, { from: "function_response", value: "R" }] },
  ];
  const [share] = (await loadRecords([writeFixture(dir, "s.jsonl", jsonl(rows))])).records;
  assert.deepEqual(messagesOf(share).map((m) => m.role), ["system", "user", "assistant", "tool"]);

  const pc = await loadRecords([
    writeFixture(dir, "pc.jsonl", jsonl([{ prompt: "2+2=", completion: " 4" }])),
    writeFixture(dir, "pcm.jsonl", jsonl([{ prompt: [{ role: "user", content: "Q" }, { role: "assistant", content: "old" }, { role: "user", content: "Q2" }], completion: [{ role: "assistant", content: "A" }] }])),
  ]);
  assert.deepEqual(pc.records[0], { source: pc.records[0].source, format: "prompt-completion", kind: "completion", prompt: "2+2=", completion: " 4" });
  assert.deepEqual(messagesOf(pc.records[1]).map((m) => m.weight), [undefined, 0, undefined, undefined]);

  const weighted = await loadRecords([writeFixture(dir, "w.jsonl", jsonl([{ messages: [{ role: "Human", content: "Q" }, { role: "assistant", content: "A", weight: 0 }, { role: "user", content: "Q" }, { role: "bot", content: "B", weight: 1 }] }]))]);
  assert.deepEqual(messagesOf(weighted.records[0]).map((m) => [m.role, m.weight]), [["user", undefined], ["assistant", 0], ["user", undefined], ["assistant", 1]]);
});

test("validation names the field and what is expected; --format overrides detection", async () => {
  const rows = [
    { messages: [{ role: "user", content: "only a question" }] },
    { messages: [{ role: "user", content: "q" }, { role: "assistant", content: "   " }] },
    { messages: [{ role: "user", content: "q" }, { role: "assistant", content: "a", weight: 2 }] },
    { instruction: "not chat", output: "x" },
  ];
  const { problems } = await loadRecords([writeFixture(dir, "v.jsonl", jsonl(rows))]);
  const lines = problems.map((p) => `${p.line} ${p.field}: ${p.message}`);
  assert.deepEqual(lines, [
    "1 messages: no assistant turn (nothing to train on)",
    "2 messages[1].content: empty content",
    "3 messages[1].weight: expected 0 or 1, got number 2",
    "4 messages: missing for the messages format (the file's format; rows must share it)",
  ]);
  const forced = await loadRecords([writeFixture(dir, "t.jsonl", jsonl([{ text: "t", prompt: "p", completion: "c" }]))], { format: "text" });
  assert.equal(forced.records[0].kind, "text");
});

test("cleaning: trimmed turns, optional whitespace collapsing", async () => {
  const file = writeFixture(dir, "c.jsonl", jsonl([chat("  a  \t b\n\n\n\nc  ", "x")]));
  assert.equal(messagesOf((await loadRecords([file])).records[0])[0].content, "a  \t b\n\n\n\nc");
  assert.equal(messagesOf((await loadRecords([file], { collapseWhitespace: true })).records[0])[0].content, "a b\n\nc");
});
