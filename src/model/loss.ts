import { Tensor, linear, releaseTensors } from "../tensor/index.js";
import { ConfigError } from "../util/errors.js";
import type { Batch } from "./batch.js";
import { checkBatch, countTrained, i32, shiftLabels } from "./batch.js";
import type { TokenLayout } from "./attention-block.js";
import { decoderBackward, decoderForward } from "./decoder.js";
import type { Model } from "./model.js";

export interface LossOptions {
  /**
   * Divide the summed loss by this count instead of this batch's own number of targets. With gradient
   * accumulation, pass the counted targets of all micro-batches so the sum of their gradients is the gradient
   * of one big batch.
   */
  normalizer?: number;
  /** Recompute each layer's activations in backward instead of keeping them (same gradients, less memory). */
  checkpointing?: boolean;
  /** Seed of this step's LoRA dropout masks (masks replay exactly for the same seed). */
  dropoutSeed?: number;
}

export interface LossResult {
  /** lossSum / normalizer. */
  loss: number;
  /** Sum of the cross-entropy over counted targets. */
  lossSum: number;
  /** Counted targets in this batch (after the shift, −100 excluded). */
  count: number;
}

function layoutOf(batch: Pick<Batch, "positions" | "segmentIds">): TokenLayout {
  return { positions: i32(batch.positions), segmentIds: i32(batch.segmentIds) };
}

function normalizerFor(count: number, options: LossOptions): number {
  const n = options.normalizer ?? count;
  if (!(n > 0)) {
    throw new ConfigError(
      options.normalizer === undefined ? "loss: the batch has no trained targets (every label is -100 after the shift)" : `loss: normalizer must be positive, got ${n}`,
    );
  }
  return n;
}

/**
 * The lm_head + cross-entropy over the rows that have a target only: prompt rows (−100) cost the vocabulary
 * product too, and SFT data is often half prompt. Their dh is zero, so rows are gathered before the fused loss
 * and its dh is scattered back; the result is the same as running all rows.
 */
function trainedRowsLoss(model: Model, hidden: Tensor, targets: Tensor, gradScale?: number): { lossSum: number; count: number; dh?: Tensor } {
  const t = targets.data as Int32Array;
  const rows: number[] = [];
  for (let i = 0; i < t.length; i++) if (t[i] !== -100) rows.push(i);
  const bf16 = model.computeDtype === "bf16";
  const ce = (h: Tensor, y: Tensor) => model.backend.crossEntropyLinear(h, model.weights.lmHead, y, gradScale, { bf16 });
  if (rows.length === t.length || rows.length === 0) return ce(hidden, targets);
  const d = hidden.shape[hidden.rank - 1];
  const packed = Tensor.zeros([rows.length, d], hidden.dtype);
  rows.forEach((row, i) => packed.data.set(hidden.data.subarray(row * d, (row + 1) * d), i * d));
  const result = ce(packed, new Tensor("i32", [rows.length], Int32Array.from(rows, (row) => t[row])));
  releaseTensors(packed);
  if (!result.dh) return result;
  const dh = Tensor.zeros(hidden.shape, result.dh.dtype);
  rows.forEach((row, i) => dh.data.set(result.dh!.data.subarray(i * d, (i + 1) * d), row * d));
  releaseTensors(result.dh);
  return { ...result, dh };
}

/**
 * Mean cross-entropy of the batch's shifted labels, and its gradient accumulated into every attached adapter's
 * gradients (the caller zeroes them between optimizer steps). Dropout is on.
 */
export function lossAndGradients(model: Model, batch: Batch, options: LossOptions = {}): LossResult {
  checkBatch(batch, model.config.vocabSize);
  const call = { training: true, dropoutSeed: options.dropoutSeed ?? 0 };
  const shifted = shiftLabels(batch.labels, batch.segmentIds);
  const targets = i32(shifted);
  const normalizer = normalizerFor(countTrained(shifted), options);
  const { hidden, tape } = decoderForward(model, i32(batch.inputIds), layoutOf(batch), call, options.checkpointing ? "checkpoints" : "all");
  const ce = trainedRowsLoss(model, hidden, targets, 1 / normalizer);
  releaseTensors(hidden);
  if (!ce.dh || !tape) throw new Error("lossAndGradients: the forward kept no gradient path");
  decoderBackward(model, ce.dh, tape);
  return { loss: ce.lossSum / normalizer, lossSum: ce.lossSum, count: ce.count };
}

/** The same loss without gradients and without dropout (evaluation). */
export function computeLoss(model: Model, batch: Batch, options: Pick<LossOptions, "normalizer"> = {}): LossResult {
  checkBatch(batch, model.config.vocabSize);
  const shifted = shiftLabels(batch.labels, batch.segmentIds);
  const targets = i32(shifted);
  const normalizer = normalizerFor(countTrained(shifted), options);
  const { hidden } = decoderForward(model, i32(batch.inputIds), layoutOf(batch), { training: false, dropoutSeed: 0 }, "nothing");
  const ce = trainedRowsLoss(model, hidden, targets);
  releaseTensors(hidden);
  return { loss: ce.lossSum / normalizer, lossSum: ce.lossSum, count: ce.count };
}

/** Full logits [T, V] of every row (for checks and small models; training never builds them). */
export function forwardLogits(model: Model, batch: Pick<Batch, "inputIds" | "segmentIds" | "positions">): Tensor {
  const { hidden } = decoderForward(model, i32(batch.inputIds), layoutOf(batch), { training: false, dropoutSeed: 0 }, "nothing");
  return linear(model.backend, hidden, model.weights.lmHead, undefined, 0, model.computeDtype === "bf16");
}
