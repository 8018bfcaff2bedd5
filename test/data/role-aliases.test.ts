// Assistant aliases of real chat dumps (gpt, chatgpt, bing, bard, model) map to assistant and are counted in the
// report; a role nobody uses stays an error naming file, line and field.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRecords, type TrainingRecord } from "../../src/data/index.js";
import { jsonl, runCli, tempDir, writeFixture } from "./helpers.js";

const turn = (from: string, value: string) => ({ from, value });
const rows = [
  { conversations: [turn("system", "Be kind."), turn("human", "a"), turn("gpt", "b"), turn("Human", "c"), turn("chatgpt", "d")] },
  { conversations: [turn("user", "e"), turn("bing", "f"), turn("human", "g"), turn("bard", "h")] },
  { conversations: [turn("user", "i"), turn("model", "j"), turn("user", "k"), turn("assistant", "l")] },
];

test("assistant aliases map to assistant; the counts say which names were read as which role, and how often", async () => {
  const dir = tempDir();
  const file = writeFixture(dir, "aliases.jsonl", jsonl(rows));
  const { records, problems, roleAliases } = await loadRecords([file]);
  assert.deepEqual(problems, []);
  const roles = records.map((r) => (r as Extract<TrainingRecord, { kind: "chat" }>).messages.map((m) => m.role));
  assert.deepEqual(roles, [
    ["system", "user", "assistant", "user", "assistant"],
    ["user", "assistant", "user", "assistant"],
    ["user", "assistant", "user", "assistant"],
  ]);
  assert.deepEqual(roleAliases, {
    human: { role: "user", count: 3 },
    gpt: { role: "assistant", count: 1 },
    chatgpt: { role: "assistant", count: 1 },
    bing: { role: "assistant", count: 1 },
    bard: { role: "assistant", count: 1 },
    model: { role: "assistant", count: 1 },
  });
  const check = await runCli("data", "check", file, "--val-fraction", "0");
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /role aliases: human → user ×3, gpt → assistant ×1, chatgpt → assistant ×1, bing → assistant ×1, bard → assistant ×1, model → assistant ×1/);
});

test("an unknown role is an error naming the file, line and field", async () => {
  const dir = tempDir();
  const file = writeFixture(dir, "unknown.jsonl", jsonl([rows[0], { conversations: [turn("human", "x"), turn("narrator", "y"), turn("gpt", "z")] }]));
  const check = await runCli("data", "check", file, "--json");
  assert.equal(check.code, 1);
  const report = JSON.parse(check.stdout) as { problems: Array<{ file: string; line: number; field: string; message: string }> };
  assert.deepEqual(report.problems.map((p) => [p.file, p.line, p.field]), [[file, 2, "conversations[1].from"]]);
  assert.match(report.problems[0].message, /unknown role "narrator"/);
});
