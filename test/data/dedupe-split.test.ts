// Dedupe order and survivors, near-duplicates around the threshold, conflicts, seeded split, leakage.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dedupe, findLeakage, splitRecords, type TrainingRecord } from "../../src/data/index.js";

let line = 0;
function textRecord(text: string, file = "a.jsonl"): TrainingRecord {
  return { source: { file, line: ++line }, format: "text", kind: "text", text };
}
function chatRecord(user: string, assistant: string): TrainingRecord {
  const messages = [{ role: "user", content: user }, { role: "assistant", content: assistant }];
  return { source: { file: "c.jsonl", line: ++line }, format: "messages", kind: "chat", messages };
}

/** Reference Jaccard on word 3-gram shingles, written independently of src/data/minhash.ts. */
function referenceJaccard(a: string, b: string): number {
  const shingles = (t: string) => {
    const w = t.toLowerCase().split(/\s+/).filter(Boolean);
    return new Set(w.slice(0, -2).map((_, i) => `${w[i]} ${w[i + 1]} ${w[i + 2]}`));
  };
  const [x, y] = [shingles(a), shingles(b)];
  const common = [...x].filter((s) => y.has(s)).length;
  return common / (x.size + y.size - common);
}

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`);

test("near-duplicates: a pair at Jaccard ≈0.93 is found, a pair at ≈0.85 is not (threshold 0.9)", () => {
  const base93 = words(85, "alpha");
  const near93 = [...base93];
  near93[40] = "changed";
  const base85 = words(75, "beta");
  const near85 = [...base85];
  near85[20] = "changed";
  near85[50] = "altered";
  const [a, b, c, d] = [base93, near93, base85, near85].map((w) => w.join(" "));
  assert.ok(Math.abs(referenceJaccard(a, b) - 0.93) < 0.005, `J=${referenceJaccard(a, b)}`);
  assert.ok(Math.abs(referenceJaccard(c, d) - 0.85) < 0.005, `J=${referenceJaccard(c, d)}`);
  const records = [a, b, c, d].map((t) => textRecord(t));
  const { kept, report } = dedupe(records);
  assert.deepEqual(kept.map((r) => r.source.line), [records[0], records[2], records[3]].map((r) => r.source.line));
  assert.equal(report.near.length, 1);
  assert.equal(report.near[0].kept.line, records[0].source.line, "the first in input order survives");
  assert.equal(report.near[0].jaccard, Math.round(referenceJaccard(a, b) * 1000) / 1000);
});

test("exact duplicates go first (case and spacing folded), then conflicts are reported and both kept", () => {
  const records = [chatRecord("What is 2+2?", "4"), chatRecord("what is  2+2?", "4"), chatRecord("What is 2+2?", "Four"), chatRecord("Other", "x")];
  const { kept, report } = dedupe(records, { nearDuplicates: false });
  assert.deepEqual(kept, [records[0], records[2], records[3]]);
  assert.deepEqual(report.exact, [{ kept: records[0].source, removed: records[1].source }]);
  assert.deepEqual(report.conflicts, [{ first: records[0].source, second: records[2].source }]);
});

test("the split is deterministic for a seed, keeps input order, and honours fraction, size and 0", () => {
  const records = Array.from({ length: 200 }, (_, i) => textRecord(`record number ${i}`));
  const one = splitRecords(records, { seed: 7 });
  const two = splitRecords(records, { seed: 7 });
  assert.deepEqual(one, two);
  assert.equal(one.val.length, 10);
  assert.notDeepEqual(splitRecords(records, { seed: 8 }).val, one.val);
  assert.ok(one.val.every((r, i) => i === 0 || r.source.line > one.val[i - 1].source.line));
  assert.equal(splitRecords(records, { seed: 7, valSize: 33 }).val.length, 33);
  assert.equal(splitRecords(records, { seed: 7, valFraction: 0 }).val.length, 0);
  assert.throws(() => splitRecords(records, { seed: 7, valSize: 200 }), /a validation split of 200 records needs more than the 200 records/);
});

test("dedupe is deterministic and leakage finds exact and near copies across the split", () => {
  const base = words(60, "gamma").join(" ");
  const train = [textRecord(base), textRecord("completely different words here and there")];
  const val = [textRecord(base.replace("gamma30", "delta")), textRecord("Completely different words here and there"), textRecord("unrelated")];
  const leaks = findLeakage(train, val, 0.9);
  assert.deepEqual(leaks.map((l) => [l.kind, l.val.line, l.train.line]), [
    ["near", val[0].source.line, train[0].source.line],
    ["exact", val[1].source.line, train[1].source.line],
  ]);
  const many = Array.from({ length: 300 }, (_, i) => textRecord(`${base} ${i % 50}`));
  assert.deepEqual(dedupe(many).report, dedupe(many).report);
});
