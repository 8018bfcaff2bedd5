// Progress of data check / prepare: plain lines off a terminal (throttled, always the end of each phase), with
// records, tokens/s and ETA worked out here from the events' numbers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DataProgress } from "../../src/cli/data-progress.js";
import { chat, jsonl, LLAMA31, runCli, tempDir, writeFixture } from "./helpers.js";

function captureStderr<T>(run: () => T): { lines: string[]; value: T } {
  const lines: string[] = [];
  const saved = console.error;
  console.error = (...parts: unknown[]) => void lines.push(parts.join(" "));
  try {
    return { lines, value: run() };
  } finally {
    console.error = saved;
  }
}

test("plain lines: at most one per interval, the end of each phase always, tok/s and ETA from the first event on", () => {
  let now = 0;
  const progress = new DataProgress(false, 5, () => now);
  const { lines } = captureStderr(() => {
    const at = (seconds: number, e: Parameters<typeof progress.update>[0]) => {
      now = seconds * 1000;
      progress.update(e);
    };
    at(0, { phase: "read", records: 1000, done: false });
    at(1, { phase: "read", records: 2000, done: false });
    at(2, { phase: "read", records: 2400, done: true });
    at(10, { phase: "tokenize", records: 100, total: 400, tokens: 1000 });
    at(12, { phase: "tokenize", records: 200, total: 400, tokens: 3000 });
    at(16, { phase: "tokenize", records: 300, total: 400, tokens: 5000 });
    at(17, { phase: "tokenize", records: 400, total: 400, tokens: 6000 });
  });
  // From t=10 (100 records, 1000 tokens): at t=16, 4000 tokens in 6 s = 667 tok/s; 200 records in 6 s leaves 100 for 3 s.
  assert.deepEqual(lines, [
    "reading: 1000 rows",
    "read 2400 rows",
    "tokenize: 100/400 records, … tok/s, ETA …",
    "tokenize: 300/400 records, 667 tok/s, ETA 3s",
    "tokenize: 400/400 records, 714 tok/s, ETA 0s",
  ]);
});

test("data prepare and data check print their progress on stderr, the report on stdout", async () => {
  const dir = tempDir();
  const input = writeFixture(dir, "p.jsonl", jsonl(Array.from({ length: 250 }, (_, i) => chat(`question ${i}`, `answer ${i}`))));
  const prepare = await runCli("data", "prepare", input, "--model", LLAMA31, "--out", `${dir}/out`, "--val-fraction", "0");
  assert.equal(prepare.code, 0, prepare.stderr);
  assert.match(prepare.stderr, /^read 250 rows$/m);
  assert.match(prepare.stderr, /^tokenize: 250\/250 records, \d+ tok\/s, ETA 0s$/m);
  assert.doesNotMatch(prepare.stdout, /tokenize:/);
  const check = await runCli("data", "check", input, "--model", LLAMA31, "--json");
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stderr, /^tokenize: 250\/250 records/m);
  JSON.parse(check.stdout);
});
