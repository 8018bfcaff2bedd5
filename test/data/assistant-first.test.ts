// Conversations that start with the assistant: never a conflict among themselves, their own warning, and the
// keep / drop / later-turns choice, down to which tokens `data prepare` trains.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { applyAssistantFirst, dedupe, type TrainingRecord } from "../../src/data/index.js";
import { IGNORE_INDEX, loadTokenizer } from "../../src/tokenizer/index.js";
import { jsonl, LLAMA31, runCli, tempDir, writeFixture } from "./helpers.js";

let line = 0;
function record(...turns: Array<[string, string]>): TrainingRecord {
  const messages = turns.map(([role, content]) => ({ role, content }));
  return { source: { file: "c.jsonl", line: ++line }, format: "messages", kind: "chat", messages };
}

test("conflicts need a shared user prompt: assistant-first or system-only records never pair", () => {
  const records = [
    record(["assistant", "first chunk answer"]),
    record(["assistant", "another chunk answer"]),
    record(["system", "Be brief."], ["assistant", "one"]),
    record(["system", "Be brief."], ["assistant", "two"]),
    record(["user", "What is 2+2?"], ["assistant", "4"]),
    record(["user", "What is 2+2?"], ["assistant", "Four"]),
  ];
  const { report } = dedupe(records, { nearDuplicates: false });
  assert.deepEqual(report.conflicts, [{ first: records[4].source, second: records[5].source }]);
});

test("assistant-first policies: keep trains it, drop leaves it out, later-turns keeps it untrained when more follows", () => {
  const chunk = record(["system", "s"], ["assistant", "answer with no question"], ["user", "q"], ["assistant", "a"]);
  const lone = record(["assistant", "only an answer"]);
  const normal = record(["user", "q"], ["assistant", "a"]);
  const untrained = record(["assistant", "context"], ["user", "q2"], ["assistant", "a2"]);
  (untrained as { messages: Array<{ weight?: 0 | 1 }> }).messages[0].weight = 0;
  const all = [chunk, lone, normal, untrained];
  const keep = applyAssistantFirst(all, "keep");
  assert.deepEqual(keep.kept, all);
  assert.deepEqual(keep.report, { policy: "keep", records: [chunk.source, lone.source], dropped: 0 });
  const drop = applyAssistantFirst(all, "drop");
  assert.deepEqual(drop.kept, [normal, untrained]);
  assert.equal(drop.report.dropped, 2);
  const later = applyAssistantFirst(all, "later-turns");
  assert.equal(later.kept.length, 3);
  assert.equal(later.report.dropped, 1, "the lone answer has no later turn to train");
  const first = later.kept[0] as Extract<TrainingRecord, { kind: "chat" }>;
  assert.deepEqual(first.messages.map((m) => m.weight), [undefined, 0, undefined, undefined]);
  assert.equal((chunk as Extract<TrainingRecord, { kind: "chat" }>).messages[1].weight, undefined, "the input is not changed");
});

test("data prepare: later-turns (default) trains only the answers after the first; the warning names the lines", async () => {
  const dir = tempDir();
  const input = writeFixture(dir, "chunks.jsonl", jsonl([
    { conversations: [{ from: "gpt", value: "Opening answer." }, { from: "human", value: "Why?" }, { from: "gpt", value: "Because." }] },
    { conversations: [{ from: "human", value: "Hi" }, { from: "gpt", value: "Hello." }] },
  ]));
  const tok = loadTokenizer(LLAMA31);
  const trainedText = async (...extra: string[]) => {
    const out = path.join(dir, `out${extra.join("")}`);
    const r = await runCli("data", "prepare", input, "--model", LLAMA31, "--out", out, "--val-fraction", "0", ...extra);
    assert.equal(r.code, 0, r.stderr);
    const rows = readFileSync(path.join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { input_ids: number[]; labels: number[] });
    return { stdout: r.stdout, trained: rows.map((row) => tok.decode(row.input_ids.filter((_, i) => row.labels[i] !== IGNORE_INDEX))) };
  };
  const later = await trainedText();
  assert.match(later.stdout, /warning: 1 conversations start with the assistant \(--assistant-first later-turns/);
  assert.match(later.stdout, /chunks\.jsonl:1/);
  assert.deepEqual(later.trained, ["Because.<|eot_id|>", "Hello.<|eot_id|>"]);
  const keep = await trainedText("--assistant-first", "keep");
  assert.deepEqual(keep.trained, ["Opening answer.<|eot_id|>Because.<|eot_id|>", "Hello.<|eot_id|>"]);
  const drop = await trainedText("--assistant-first", "drop");
  assert.deepEqual(drop.trained, ["Hello.<|eot_id|>"]);
});
