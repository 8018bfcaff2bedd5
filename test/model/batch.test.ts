import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IGNORE_INDEX, countTargets, makeBatch, shiftLabels } from "../../src/model/index.js";

const X = IGNORE_INDEX;

describe("batches and the label shift", () => {
  it("the target of row t is the label of t+1 in the same segment; a segment's last token has none", () => {
    const labels = Int32Array.from([10, 11, 12, 20, 21]);
    const segments = Int32Array.from([0, 0, 0, 1, 1]);
    assert.deepEqual([...shiftLabels(labels, segments)], [11, 12, X, 21, X]);
  });

  it("−100 labels stay untrained after the shift", () => {
    assert.deepEqual([...shiftLabels(Int32Array.from([1, X, 3, 4]), Int32Array.from([0, 0, 0, 0]))], [X, 3, 4, X]);
  });

  it("packs sequences with restarting positions and never targets across a boundary", () => {
    const b = makeBatch([{ inputIds: [5, 6, 7] }, { inputIds: [8, 9] }]);
    assert.deepEqual([...b.segmentIds], [0, 0, 0, 1, 1]);
    assert.deepEqual([...b.positions], [0, 1, 2, 0, 1]);
    assert.deepEqual([...shiftLabels(b.labels, b.segmentIds)], [6, 7, X, 9, X]);
    assert.equal(countTargets(b), 3);
  });

  it("refuses empty sequences and mismatched labels", () => {
    assert.throws(() => makeBatch([{ inputIds: [] }]), /sequence 0 is empty/);
    assert.throws(() => makeBatch([{ inputIds: [1, 2], labels: [1] }]), /labels/);
  });
});
