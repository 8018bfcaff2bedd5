import { Tensor } from "../tensor/index.js";
import { ShapeError } from "../util/errors.js";

/** Label value that is never trained (as in PyTorch / transformers). */
export const IGNORE_INDEX = -100;

/**
 * A batch as one token stream: T tokens of one or more sequences, one after another (no padding is ever needed).
 * Segments are contiguous runs of equal `segmentIds`; attention never crosses a segment and positions restart at
 * 0 in each one.
 * `labels` are aligned with `inputIds` as in transformers: the model shifts them (see `shiftLabels`).
 */
export interface Batch {
  inputIds: Int32Array;
  labels: Int32Array;
  segmentIds: Int32Array;
  positions: Int32Array;
}

/** One sequence of a batch; labels default to the input ids (every next token trained). */
export interface Sequence {
  inputIds: ArrayLike<number>;
  labels?: ArrayLike<number>;
}

/** Concatenates sequences into one batch, each its own segment. */
export function makeBatch(sequences: readonly Sequence[]): Batch {
  const ids: number[] = [];
  const labels: number[] = [];
  const segments: number[] = [];
  let segment = 0;
  for (const [index, seq] of sequences.entries()) {
    const n = seq.inputIds.length;
    if (n === 0) throw new ShapeError(`makeBatch: sequence ${index} is empty`);
    if (seq.labels && seq.labels.length !== n) {
      throw new ShapeError(`makeBatch: sequence ${index} has ${n} input ids but ${seq.labels.length} labels`);
    }
    for (let i = 0; i < n; i++) {
      ids.push(seq.inputIds[i]);
      labels.push(seq.labels ? seq.labels[i] : seq.inputIds[i]);
      segments.push(segment);
    }
    segment++;
  }
  const segmentIds = Int32Array.from(segments);
  return { inputIds: Int32Array.from(ids), labels: Int32Array.from(labels), segmentIds, positions: positionsFromSegments(segmentIds) };
}

/** Positions 0, 1, 2, … restarting at each segment boundary. */
export function positionsFromSegments(segmentIds: Int32Array): Int32Array {
  const positions = new Int32Array(segmentIds.length);
  for (let t = 1; t < segmentIds.length; t++) {
    positions[t] = segmentIds[t] === segmentIds[t - 1] ? positions[t - 1] + 1 : 0;
  }
  return positions;
}

/**
 * The target of row t is the label of row t+1 when both rows are in the same segment; the last token of a
 * segment has no target, so a packed segment never predicts the next segment's first token.
 */
export function shiftLabels(labels: Int32Array, segmentIds: Int32Array): Int32Array {
  const targets = new Int32Array(labels.length).fill(IGNORE_INDEX);
  for (let t = 0; t + 1 < labels.length; t++) {
    if (segmentIds[t + 1] === segmentIds[t]) targets[t] = labels[t + 1];
  }
  return targets;
}

/** Number of trained targets after the shift (the loss normalizer of one micro-batch). */
export function countTargets(batch: Batch): number {
  return countTrained(shiftLabels(batch.labels, batch.segmentIds));
}

/** Entries of shifted targets that are trained (not −100). */
export function countTrained(targets: Int32Array): number {
  let n = 0;
  for (const t of targets) if (t !== IGNORE_INDEX) n++;
  return n;
}

export function checkBatch(batch: Batch, vocabSize: number): void {
  const n = batch.inputIds.length;
  for (const [name, arr] of [["labels", batch.labels], ["segmentIds", batch.segmentIds], ["positions", batch.positions]] as const) {
    if (arr.length !== n) throw new ShapeError(`batch: ${name} has ${arr.length} entries, inputIds has ${n}`);
  }
  if (n === 0) throw new ShapeError("batch: no tokens");
  for (let t = 0; t < n; t++) {
    const id = batch.inputIds[t];
    if (id < 0 || id >= vocabSize) throw new ShapeError(`batch: input id ${id} at row ${t} is outside the vocabulary (0..${vocabSize - 1})`);
    const label = batch.labels[t];
    if (label !== IGNORE_INDEX && (label < 0 || label >= vocabSize)) {
      throw new ShapeError(`batch: label ${label} at row ${t} is outside the vocabulary and not ${IGNORE_INDEX}`);
    }
  }
}

export function i32(values: Int32Array): Tensor {
  return new Tensor("i32", [values.length], values);
}
