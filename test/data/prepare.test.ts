// `data prepare` end to end on the Llama 3.1 tokenizer: outputs, masks, cache, determinism, truncation, inspect.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loadTokenizer, IGNORE_INDEX } from "../../src/tokenizer/index.js";
import { tokenizeStream, type TokenizerSpec } from "../../src/data/tokenize-all.js";
import { TokenizerPool } from "../../src/data/tokenize-pool.js";
import type { TokenizeResult } from "../../src/data/tokenize-record.js";
import type { TrainingRecord, TruncationReport } from "../../src/data/index.js";
import { chat, jsonl, LLAMA31, runCli, tempDir, writeFixture } from "./helpers.js";

const dir = tempDir();
const rows = Array.from({ length: 40 }, (_, i) => chat(`Question number ${i}: what is ${i} squared?`, `It is ${i * i}.`, i % 2 ? "Be exact." : undefined));
const input = writeFixture(dir, "squares.jsonl", jsonl(rows));
const tok = loadTokenizer(LLAMA31);

function readJsonl(file: string): Array<{ input_ids: number[]; labels: number[] }> {
  return readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { input_ids: number[]; labels: number[] });
}

async function prepare(out: string, ...extra: string[]) {
  const result = await runCli("data", "prepare", input, "--model", LLAMA31, "--out", out, ...extra);
  assert.equal(result.code, 0, result.stderr);
  return result;
}

test("prepare writes aligned input_ids/labels whose trained tokens are each answer plus <|eot_id|>", async () => {
  const out = path.join(dir, "out");
  await prepare(out, "--val-size", "4");
  const train = readJsonl(path.join(out, "train.jsonl"));
  const val = readJsonl(path.join(out, "val.jsonl"));
  assert.equal(train.length + val.length, 40);
  assert.equal(val.length, 4);
  const answers = new Set(rows.map((r) => `${r.messages.at(-1)!.content}<|eot_id|>`));
  for (const row of [...train, ...val]) {
    assert.equal(row.labels.length, row.input_ids.length);
    const trained = row.input_ids.filter((_, i) => row.labels[i] !== IGNORE_INDEX);
    assert.ok(answers.has(tok.decode(trained)), tok.decode(trained));
  }
  const report = JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")) as { split: { train: number; val: number }; cacheKey: string };
  assert.deepEqual(report.split, { train: 36, val: 4 });
});

test("a second run with the same inputs and options reuses the result; other options recompute", async () => {
  const out = path.join(dir, "cached");
  await prepare(out);
  const before = statSync(path.join(out, "train.jsonl")).mtimeMs;
  const again = await prepare(out);
  assert.match(again.stdout, /up to date/);
  assert.equal(statSync(path.join(out, "train.jsonl")).mtimeMs, before);
  const other = await prepare(out, "--seed", "3");
  assert.doesNotMatch(other.stdout, /up to date/);
});

test("the same inputs and seed give byte-identical outputs", async () => {
  await prepare(path.join(dir, "d1"), "--seed", "9");
  await prepare(path.join(dir, "d2"), "--seed", "9");
  for (const name of ["train.jsonl", "val.jsonl"]) {
    assert.equal(readFileSync(path.join(dir, "d1", name), "utf8"), readFileSync(path.join(dir, "d2", name), "utf8"));
  }
});

test("truncation policies: drop, and cut right/left with cut turns counted", async () => {
  const long = writeFixture(dir, "long.jsonl", jsonl([chat("short question", "a fairly long answer ".repeat(20).trim()), chat("q", "tiny")]));
  const run = async (policy: string) => {
    const out = path.join(dir, `trunc-${policy}`);
    const r = await runCli("data", "prepare", long, "--model", LLAMA31, "--out", out, "--max-seq-length", "30", "--truncation", policy, "--val-fraction", "0", "--json");
    assert.equal(r.code, 0, r.stderr);
    return { report: JSON.parse(r.stdout) as { truncation: TruncationReport }, train: readJsonl(path.join(out, "train.jsonl")) };
  };
  const drop = await run("drop");
  assert.equal(drop.report.truncation.overLength, 1);
  assert.deepEqual(drop.report.truncation.policies.drop.records, { whole: 1, split: 0, cut: 0, dropped: 1, written: 1 });
  assert.equal(drop.train.length, 1);
  const right = await run("right");
  assert.deepEqual(right.report.truncation.policies.right.turns, { kept: 1, cut: 1, dropped: 0 });
  assert.ok(right.train.every((r) => r.input_ids.length <= 30));
  assert.notEqual(right.train.find((r) => r.input_ids.length === 30)!.input_ids.at(-1), tok.tokenToId("<|eot_id|>"));
  const left = await run("left");
  assert.equal(left.train[0].input_ids.at(-1), tok.tokenToId("<|eot_id|>"));
  assert.deepEqual(left.report.truncation.policies.left.turns, { kept: 1, cut: 1, dropped: 0 });
});

test("--skip-invalid continues and lists the invalid records in report.json", async () => {
  const mixed = writeFixture(dir, "mixed.jsonl", `${JSON.stringify(chat("a", "b"))}\n{oops\n${JSON.stringify(chat("c", "d"))}\n`);
  const out = path.join(dir, "skip");
  const r = await runCli("data", "prepare", mixed, "--model", LLAMA31, "--out", out, "--skip-invalid", "--val-fraction", "0");
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")) as { invalid: Array<{ line: number }> };
  assert.deepEqual(report.invalid.map((p) => p.line), [2]);
});

test("inspect marks trained text with ⟦ ⟧ when not on a terminal, from files or a prepared folder", async () => {
  const fromFile = await runCli("data", "inspect", input, "--model", LLAMA31, "--sample", "2", "--seed", "1");
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(fromFile.stdout.match(/── .*squares\.jsonl:\d+ · \d+ tokens, \d+ trained/g)?.length, 2);
  assert.match(fromFile.stdout, /⟦It is \d+\.<\|eot_id\|>⟧/);
  assert.equal((await runCli("data", "inspect", input, "--model", LLAMA31, "--sample", "2", "--seed", "1")).stdout, fromFile.stdout);
  const fromFolder = await runCli("data", "inspect", path.join(dir, "out"), "--model", LLAMA31, "--sample", "1");
  assert.match(fromFolder.stdout, /train\.jsonl:\d+ · .*\n[^]*⟦It is \d+\.<\|eot_id\|>⟧/);
});

test("check --json reports formats, duplicates and token lengths; exit 0 when clean", async () => {
  const r = await runCli("data", "check", input, input, "--model", LLAMA31, "--json");
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { formats: Record<string, number>; duplicates: { exact: number }; lengths: { train: { records: number } } };
  assert.deepEqual(report.formats, { messages: 40 });
  assert.equal(report.duplicates.exact, 40);
  assert.equal(report.lengths.train.records, 38);
});

async function tokenizeAll(records: TrainingRecord[], spec: TokenizerSpec, workers: number): Promise<TokenizeResult[]> {
  const results: TokenizeResult[] = [];
  async function* items() {
    for (const record of records) yield { record };
  }
  const pool = workers > 1 ? new TokenizerPool(spec, workers) : undefined;
  await tokenizeStream(items(), tok, spec, { total: records.length, pool }, (_, r) => results.push(r)).finally(() => pool?.close());
  return results;
}

test("worker threads give the same tokens as one thread", async () => {
  const records: TrainingRecord[] = Array.from({ length: 4200 }, (_, i) => ({
    source: { file: "w", line: i + 1 },
    format: "text",
    kind: "text",
    text: `sample ${i} text`,
  }));
  const spec = { modelDir: LLAMA31, trainOn: "all" as const };
  assert.deepEqual(await tokenizeAll(records, spec, 2), await tokenizeAll(records, spec, 1));
});
