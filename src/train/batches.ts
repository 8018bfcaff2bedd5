import type { Batch } from "../model/index.js";
import { makeBatch } from "../model/index.js";
import { Rng } from "../util/rng.js";

/** One tokenized training example: labels aligned with input ids (−100 = not trained), as `data prepare` writes. */
export interface TrainRecord {
  inputIds: Int32Array;
  labels: Int32Array;
}

export interface BatchingOptions {
  /** Sequences (rows) per micro-batch. */
  batchSize: number;
  gradientAccumulationSteps: number;
  maxSeqLength: number;
  /** Pack several records into each row of maxSeqLength (segments keep them apart). */
  packing: boolean;
  /** Reshuffle the records each epoch (false: file order). */
  shuffle: boolean;
}

/** The record order of an epoch: a pure function of (seed, epoch), so a resumed run replays it. */
export function epochOrder(count: number, seed: number, epoch: number, shuffle = true): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  return shuffle ? new Rng((seed >>> 0) * 1000003 + epoch * 7919 + 1).shuffle(order) : order;
}

/** Rows of records: one record per row, or (packing) records filled greedily into rows of maxSeqLength. */
function rowsOf(records: readonly TrainRecord[], order: readonly number[], options: BatchingOptions): TrainRecord[][] {
  if (!options.packing) return order.map((i) => [records[i]]);
  const rows: TrainRecord[][] = [];
  let row: TrainRecord[] = [];
  let used = 0;
  for (const i of order) {
    const r = records[i];
    if (used + r.inputIds.length > options.maxSeqLength && row.length > 0) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(r);
    used += r.inputIds.length;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

/**
 * The optimizer steps of one epoch, each a list of micro-batches. A micro-batch is padding-free: its records one
 * after another as segments of one token stream (attention never crosses a segment and positions restart in each),
 * so it computes exactly what padded rows would without spending work on padding; `packing` only changes how many
 * records a micro-batch holds. The last step may hold fewer micro-batches (no record is dropped); the loss
 * normalizer counts the targets of the step's own micro-batches.
 */
export function planEpoch(records: readonly TrainRecord[], seed: number, epoch: number, options: BatchingOptions): Batch[][] {
  const rows = rowsOf(records, epochOrder(records.length, seed, epoch, options.shuffle), options);
  const micro: Batch[] = [];
  for (let i = 0; i < rows.length; i += options.batchSize) micro.push(makeBatch(rows.slice(i, i + options.batchSize).flat()));
  const steps: Batch[][] = [];
  for (let i = 0; i < micro.length; i += options.gradientAccumulationSteps) {
    steps.push(micro.slice(i, i + options.gradientAccumulationSteps));
  }
  return steps;
}

/** Optimizer steps of an epoch without building its batches (packing makes it depend on the order). */
export function stepsInEpoch(records: readonly TrainRecord[], seed: number, epoch: number, options: BatchingOptions): number {
  const rows = rowsOf(records, epochOrder(records.length, seed, epoch, options.shuffle), options).length;
  return Math.ceil(Math.ceil(rows / options.batchSize) / options.gradientAccumulationSteps);
}

/** Evaluation micro-batches in file order (no shuffling, no packing). */
export function evalBatches(records: readonly TrainRecord[], batchSize: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < records.length; i += batchSize) out.push(makeBatch(records.slice(i, i + batchSize)));
  return out;
}
