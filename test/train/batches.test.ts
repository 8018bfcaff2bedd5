import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TrainRecord } from "../../src/train/batches.js";
import { epochOrder, evalBatches, planEpoch, stepsInEpoch } from "../../src/train/batches.js";

function record(id: number, length: number): TrainRecord {
  // Token ids encode the record id so the batches can be traced back to records.
  const inputIds = Int32Array.from({ length }, (_, i) => id * 100 + i);
  const labels = Int32Array.from(inputIds, (v, i) => (i === 0 ? -100 : v));
  return { inputIds, labels };
}

const records = Array.from({ length: 23 }, (_, i) => record(i + 1, 3 + ((i * 7) % 11)));
const base = { batchSize: 3, gradientAccumulationSteps: 2, maxSeqLength: 32, packing: false, shuffle: true };

function recordIdsOf(steps: ReturnType<typeof planEpoch>): number[] {
  const ids: number[] = [];
  for (const step of steps) {
    for (const b of step) {
      for (let t = 0; t < b.inputIds.length; t++) {
        if (b.positions[t] === 0 && b.labels[t] === -100 && b.inputIds[t] !== 0) ids.push(Math.floor(b.inputIds[t] / 100));
      }
    }
  }
  return ids;
}

describe("training batches", () => {
  it("an epoch covers every record exactly once, in a seeded order that changes per epoch", () => {
    for (const packing of [false, true]) {
      const e0 = recordIdsOf(planEpoch(records, 7, 0, { ...base, packing }));
      assert.deepEqual([...e0].sort((a, b) => a - b), records.map((_, i) => i + 1));
      assert.deepEqual(recordIdsOf(planEpoch(records, 7, 0, { ...base, packing })), e0, "same seed and epoch, same order");
      assert.notDeepEqual(recordIdsOf(planEpoch(records, 7, 1, { ...base, packing })), e0, "reshuffled next epoch");
    }
    assert.notDeepEqual(epochOrder(23, 7, 0), epochOrder(23, 8, 0));
  });

  it("groups micro-batches into optimizer steps, the last step possibly shorter", () => {
    const steps = planEpoch(records, 1, 0, base);
    // 23 records / 3 per micro-batch = 8 micro-batches → 4 steps of 2.
    assert.deepEqual(steps.map((s) => s.length), [2, 2, 2, 2]);
    assert.equal(stepsInEpoch(records, 1, 0, base), 4);
    const odd = planEpoch(records, 1, 0, { ...base, gradientAccumulationSteps: 3 });
    assert.deepEqual(odd.map((s) => s.length), [3, 3, 2]);
  });

  it("micro-batches are padding-free: exactly their records' tokens, one segment each", () => {
    for (const packing of [false, true]) {
      const options = { ...base, packing, maxSeqLength: 20 };
      let tokens = 0;
      for (const step of planEpoch(records, 3, 0, options)) {
        for (const b of step) {
          tokens += b.inputIds.length;
          const segments = new Set(b.segmentIds).size;
          const starts = b.positions.filter((p) => p === 0).length;
          assert.equal(starts, segments, "positions restart at each segment and nowhere else");
          for (let t = 1; t < b.inputIds.length; t++) {
            if (b.segmentIds[t] !== b.segmentIds[t - 1]) assert.equal(b.positions[t], 0);
            else assert.equal(b.positions[t], b.positions[t - 1] + 1);
          }
          if (!packing) assert.ok(segments <= base.batchSize);
          else assert.ok(b.inputIds.length <= base.batchSize * 20, "packed: at most batchSize rows of maxSeqLength");
        }
      }
      assert.equal(tokens, records.reduce((n, r) => n + r.inputIds.length, 0), "no padding token anywhere");
    }
  });

  it("packing fills rows of at most maxSeqLength greedily, batchSize rows per micro-batch", () => {
    const packing = { ...base, packing: true, maxSeqLength: 20 };
    const order = epochOrder(records.length, 5, 0);
    // The rule, restated: add records to a row while they fit in maxSeqLength, then start the next row.
    const rows: number[][] = [];
    let row: number[] = [];
    let used = 0;
    for (const i of order) {
      const n = records[i].inputIds.length;
      if (used + n > 20 && row.length > 0) {
        rows.push(row);
        row = [];
        used = 0;
      }
      row.push(i + 1);
      used += n;
    }
    rows.push(row);
    for (const r of rows) assert.ok(r.reduce((n, id) => n + records[id - 1].inputIds.length, 0) <= 20);
    const expected = [];
    for (let i = 0; i < rows.length; i += base.batchSize) expected.push(rows.slice(i, i + base.batchSize).flat());
    const planned = planEpoch(records, 5, 0, packing).flat().map((b) => recordIdsOf([[b]]));
    assert.deepEqual(planned, expected);
    assert.ok(planEpoch(records, 5, 0, packing).length < planEpoch(records, 5, 0, base).length, "fewer steps than unpacked");
    assert.equal(stepsInEpoch(records, 5, 0, packing), planEpoch(records, 5, 0, packing).length);
  });

  it("sequential sampling keeps file order in every epoch", () => {
    const sequential = { ...base, shuffle: false };
    const ids = records.map((_, i) => i + 1);
    assert.deepEqual(recordIdsOf(planEpoch(records, 7, 0, sequential)), ids);
    assert.deepEqual(recordIdsOf(planEpoch(records, 7, 3, sequential)), ids);
  });

  it("evaluation batches keep file order", () => {
    const batches = evalBatches(records.slice(0, 5), 2);
    assert.equal(batches.length, 3);
    assert.equal(batches[0].inputIds[0], 100);
  });
});
