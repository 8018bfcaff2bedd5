// The `turns` truncation policy on a constructed conversation whose token counts are known word by word: which
// records it writes, and what every policy keeps, cuts and drops, counted exactly.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { IGNORE_INDEX, loadTokenizer, TemplateError, type ChatMessage } from "../../src/tokenizer/index.js";
import { splitByTurns, type TurnPiece } from "../../src/data/split-turns.js";
import type { TruncationReport } from "../../src/data/index.js";
import { jsonl, LLAMA31, runCli, tempDir, writeFixture } from "./helpers.js";

const tok = loadTokenizer(LLAMA31);
const MAX = 80;
/** n words that are one Llama 3 token each ("the", then " the"): n tokens. */
const words = (n: number) => Array(n).fill("the").join(" ");
const system: ChatMessage = { role: "system", content: "S." };
const turns: ChatMessage[] = [
  { role: "user", content: "q0" }, { role: "assistant", content: words(200) },
  { role: "user", content: "q1" }, { role: "assistant", content: words(20) },
  { role: "user", content: "q2" }, { role: "assistant", content: words(20) },
  { role: "user", content: "q3" }, { role: "assistant", content: words(10) },
];
const conversation = [system, ...turns];
const untrained = (m: ChatMessage): ChatMessage => ({ ...m, weight: 0 });
const trainedCount = (labels: number[]) => labels.filter((l) => l !== IGNORE_INDEX).length;

test("turns: the long first turn is cut alone; the rest packs forward, then takes earlier turns as untrained context", async () => {
  assert.equal(tok.encode(words(200), { addSpecialTokens: false }).length, 200, "fixture: one token per word");
  const dir = tempDir();
  const input = writeFixture(dir, "long.jsonl", jsonl([{ messages: conversation }, { messages: [system, { role: "user", content: "hi" }, { role: "assistant", content: "hello" }] }]));
  const out = path.join(dir, "out");
  const r = await runCli("data", "prepare", input, "--model", LLAMA31, "--out", out, "--max-seq-length", String(MAX), "--val-fraction", "0", "--json");
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(path.join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { input_ids: number[]; labels: number[] });

  // The records the split must give, rendered here directly from the messages each should hold.
  const expected = [
    [system, ...turns.slice(0, 2)],
    [system, ...turns.slice(2, 6)],
    [system, turns[4], untrained(turns[5]), ...turns.slice(6, 8)],
  ].map((m) => tok.tokenizeConversation(m));
  assert.ok(expected[0].inputIds.length > MAX && expected[1].inputIds.length <= MAX && expected[2].inputIds.length <= MAX);
  const withTurn1AsContext = tok.tokenizeConversation([system, turns[2], untrained(turns[3]), ...turns.slice(4, 8)]);
  assert.ok(withTurn1AsContext.inputIds.length > MAX, "fixture: turn 1 does not fit as context of the last record");
  const long = rows.filter((row) => row.input_ids.length > 20);
  assert.deepEqual(long.map((row) => row.input_ids), [expected[0].inputIds.slice(0, MAX), expected[1].inputIds, expected[2].inputIds]);
  assert.deepEqual(long.map((row) => row.labels), [expected[0].labels.slice(0, MAX), expected[1].labels, expected[2].labels]);

  // Counted from the fixture: answers of 200, 20, 20, 10 tokens, each trained with its <|eot_id|>.
  const header = tok.encodeChat([system, turns[0]], { addGenerationPrompt: true }).length;
  const full = 201 + 21 + 21 + 11;
  // The short record ("hello" + <|eot_id|>) is written whole by every policy.
  assert.equal(trainedCount(tok.tokenizeConversation([system, { role: "user", content: "hi" }, { role: "assistant", content: "hello" }]).labels), 2);
  const report = (JSON.parse(r.stdout) as { truncation: TruncationReport }).truncation;
  assert.equal(report.policy, "turns");
  assert.equal(report.overLength, 1);
  const firstKept = MAX - header;
  assert.deepEqual(report.policies.turns, {
    records: { whole: 1, split: 0, cut: 1, dropped: 0, written: 4 },
    turns: { kept: 4, cut: 1, dropped: 0 },
    trainedTokens: { kept: 2 + firstKept + 21 + 21 + 11, dropped: full - (firstKept + 53) },
  });
  assert.deepEqual(report.policies.drop, {
    records: { whole: 1, split: 0, cut: 0, dropped: 1, written: 1 },
    turns: { kept: 1, cut: 0, dropped: 4 },
    trainedTokens: { kept: 2, dropped: full },
  });
  assert.deepEqual(report.policies.right, {
    records: { whole: 1, split: 0, cut: 1, dropped: 0, written: 2 },
    turns: { kept: 1, cut: 1, dropped: 3 },
    trainedTokens: { kept: 2 + firstKept, dropped: full - firstKept },
  });
  // left keeps the last 80 tokens: the three short answers whole (the first of them without all of its question).
  const lastThree = tok.encodeChat(conversation).length - tok.encodeChat(conversation.slice(0, 3)).length;
  assert.ok(lastThree > MAX && lastThree - MAX < tok.encodeChat([system, turns[2]], { addGenerationPrompt: true }).length - tok.encodeChat([system]).length);
  assert.deepEqual(report.policies.left, {
    records: { whole: 1, split: 0, cut: 1, dropped: 0, written: 2 },
    turns: { kept: 4, cut: 0, dropped: 1 },
    trainedTokens: { kept: 2 + 53, dropped: full - 53 },
  });
});

/** A stand-in tokenizer: one token per message plus one per content character; trained = assistant, weight ≠ 0. */
function fakeTokenize(refuse: (m: ChatMessage[]) => boolean) {
  return (messages: ChatMessage[]) => {
    if (refuse(messages)) throw new TemplateError("refused");
    const inputIds: number[] = [];
    const labels: number[] = [];
    for (const m of messages) {
      const trained = m.role === "assistant" && m.weight !== 0;
      for (let i = 0; i <= m.content.length; i++) {
        inputIds.push(1);
        labels.push(trained && i > 0 ? 1 : IGNORE_INDEX);
      }
    }
    return { inputIds, labels };
  };
}

test("splitByTurns: estimates that are too low are corrected by shrinking (context first); a refused turn is left out", () => {
  const m = (role: string, n: number, letter = "x"): ChatMessage => ({ role, content: letter.repeat(n) });
  const messages = [m("system", 4), m("user", 5), m("assistant", 10, "y"), m("user", 5), m("assistant", 10), m("user", 5), m("assistant", 10), m("user", 3), m("assistant", 3)];
  const trained = [2, 4, 6, 8];
  // True sizes: system 5, the three long groups 6 + 11 = 17 each, the short one 4 + 4 = 8; estimated at half.
  const half = (i: number) => (messages[i].content.length + 1) / 2;
  const shape = (pieces: TurnPiece[]) => pieces.map((p) => [p.inputIds.length, p.labels.filter((l) => l !== IGNORE_INDEX).length, p.overLength]);
  // Record 1 plans groups 0–2 (28 estimated), really 56: shrunk to group 0 (22). Record 2 plans groups 1–3, shrunk to
  // group 1 (22). Record 3 plans groups 2–3 with group 1 as context (23.5 estimated, really 47): the context goes (30).
  assert.deepEqual(shape(splitByTurns(messages, trained, 30, half, fakeTokenize(() => false))), [
    [22, 10, false],
    [22, 10, false],
    [30, 13, false],
  ]);
  // A template that refuses any record where the "y" answer is trained: that turn is left out, the rest as before.
  const refuse = (ms: ChatMessage[]) => ms.some((x) => x.content.startsWith("y") && x.weight !== 0);
  assert.deepEqual(shape(splitByTurns(messages, trained, 30, half, fakeTokenize(refuse))), [
    [22, 10, false],
    [30, 13, false],
  ]);
});
