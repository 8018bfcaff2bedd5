import os from "node:os";
import path from "node:path";
import type { LoraAdapter } from "../lora/index.js";
import { saveAdapter } from "../lora/index.js";
import type { Model } from "../model/index.js";
import { computeLoss, countTargets, lossAndGradients } from "../model/index.js";
import { StepArena } from "../tensor/index.js";
import { writeDirAtomic } from "../util/atomic-write.js";
import { LoraforgeError } from "../util/errors.js";
import type { BatchingOptions, TrainRecord } from "./batches.js";
import { evalBatches, planEpoch, stepsInEpoch } from "./batches.js";
import type { TrainerState } from "./checkpoint.js";
import { loadCheckpoint, pruneCheckpoints, saveCheckpoint } from "./checkpoint.js";
import type { TrainConfig } from "./config-schema.js";
import { Optimizer } from "./optimizer.js";
import { lrMultiplier, resolveWarmupSteps } from "./schedule.js";
import { newWatchState, overfittingStart, recordEval, shouldStop } from "./validation-watch.js";

export interface StepEvent {
  step: number;
  totalSteps: number;
  epoch: number;
  /** Mean loss of this optimizer step (Σ CE over its counted targets / their count). */
  loss: number;
  learningRate: number;
  gradNorm: number;
  /** Tokens processed in this step (batches are padding-free: the records' own tokens). */
  tokens: number;
  /** Trained targets in this step. */
  targets: number;
  elapsedMs: number;
}

export interface EvalEvent {
  step: number;
  valLoss: number;
  perplexity: number;
  isBest: boolean;
}

export interface TrainEvents {
  onStep?(event: StepEvent): void;
  onEval?(event: EvalEvent): void;
  onCheckpoint?(dir: string, step: number): void;
  /** Polled after each optimizer step: true saves a checkpoint and ends the run (Ctrl-C). */
  stopRequested?(): boolean;
}

export interface TrainInputs {
  config: TrainConfig;
  model: Model;
  adapter: LoraAdapter;
  train: readonly TrainRecord[];
  validation: readonly TrainRecord[];
  /** Identifies config + data; a resumed run must carry the same. */
  runHash: string;
  /** A checkpoint folder to continue from. */
  resumeFrom?: string;
}

export interface TrainResult {
  stoppedBy: "completed" | "max_steps" | "early_stopping" | "interrupted";
  globalStep: number;
  totalSteps: number;
  best?: { step: number; valLoss: number };
  overfittingFrom?: number;
  /** Folder of the adapter to use: the best one with validation data, else the last. */
  adapterDir: string;
  lastCheckpoint?: string;
}

/** A non-finite loss or gradient: training stops, nothing already saved is touched. */
export class DivergedError extends LoraforgeError {}

export function batchingOptions(config: TrainConfig): BatchingOptions {
  return {
    batchSize: config.batch_size,
    gradientAccumulationSteps: config.gradient_accumulation_steps,
    maxSeqLength: config.max_seq_length,
    packing: config.packing,
    shuffle: config.train_sampling_strategy === "random",
  };
}

/** Total optimizer steps: max_steps, or the steps of num_train_epochs (a fraction counts part of an epoch). */
export function plannedSteps(config: TrainConfig, train: readonly TrainRecord[]): { total: number; epochs: number } {
  const options = batchingOptions(config);
  // With max_steps the epochs just keep coming until the step count is reached.
  if (config.max_steps !== undefined) return { total: config.max_steps, epochs: Number.MAX_SAFE_INTEGER };
  const full = Math.floor(config.num_train_epochs);
  const fraction = config.num_train_epochs - full;
  let total = 0;
  for (let e = 0; e < full; e++) total += stepsInEpoch(train, config.seed, e, options);
  if (fraction > 0) total += Math.ceil(fraction * stepsInEpoch(train, config.seed, full, options));
  return { total, epochs: Math.ceil(config.num_train_epochs) };
}

/** Seed of a micro-batch's dropout masks: a function of the run seed and position, so resume replays it. */
function dropoutSeed(seed: number, step: number, micro: number): number {
  return ((seed >>> 0) ^ Math.imul(step + 1, 0x9e3779b1) ^ Math.imul(micro + 1, 0x85ebca6b)) >>> 0;
}

/**
 * The arena a run's micro-batches and evaluation batches take their buffers from (docs/performance.md): up to 4 GiB,
 * and at most an eighth of this machine's memory; a step that needs more gets fresh buffers for the rest.
 */
function trainingArena(): StepArena {
  return new StepArena({ maxBytes: Math.min(4 * 2 ** 30, os.totalmem() / 8) });
}

function evaluate(model: Model, records: readonly TrainRecord[], config: TrainConfig, arena: StepArena): number {
  let lossSum = 0;
  let count = 0;
  for (const batch of evalBatches(records, config.eval_batch_size ?? config.batch_size)) {
    if (countTargets(batch) === 0) continue;
    const r = arena.run(() => computeLoss(model, batch));
    lossSum += r.lossSum;
    count += r.count;
  }
  return count > 0 ? lossSum / count : NaN;
}

/**
 * The SFT loop: gradient accumulation normalized over the step's counted targets, clipping, schedule, AdamW/SGD,
 * evaluation with early stopping, atomic checkpoints, and exact resume.
 */
export function runTraining(inputs: TrainInputs, events: TrainEvents = {}): TrainResult {
  const { config, model, adapter, train, validation } = inputs;
  const backend = model.backend;
  const outputDir = config.output_dir;
  const adapterDir = path.join(outputDir, "adapter");
  const options = batchingOptions(config);
  const { total: totalSteps, epochs } = plannedSteps(config, train);
  const warmup = resolveWarmupSteps(config.warmup_steps, config.warmup_ratio, totalSteps);
  const optimizer = new Optimizer(backend, adapter.parameters(), adapter.gradients(), {
    kind: config.optim,
    beta1: config.adam_beta1,
    beta2: config.adam_beta2,
    eps: config.adam_epsilon,
    weightDecay: config.weight_decay,
  });
  // Only activations and scratch come from it: parameters, gradients and optimizer state were made above.
  const arena = trainingArena();

  let state: TrainerState = {
    globalStep: 0,
    epoch: 0,
    stepInEpoch: 0,
    watch: newWatchState(),
    window: { lossSum: 0, count: 0 },
    runHash: inputs.runHash,
  };
  if (inputs.resumeFrom) {
    state = loadCheckpoint(inputs.resumeFrom, adapter, optimizer);
    if (state.runHash !== inputs.runHash) {
      throw new LoraforgeError(`${inputs.resumeFrom} was saved by a run with another config or dataset`, {
        hint: "resume with the same config and data, or start a new run in another output_dir",
      });
    }
  }

  const hasValidation = validation.length > 0;
  let lastCheckpoint: string | undefined;
  const started = Date.now();
  const checkpoint = () => {
    try {
      lastCheckpoint = saveCheckpoint(outputDir, adapter, optimizer, state);
    } catch (err) {
      throw new LoraforgeError(`could not save the checkpoint of step ${state.globalStep}: ${(err as Error).message}`, {
        hint: "free some disk space, then resume with --resume; the earlier checkpoints are intact",
        cause: err,
      });
    }
    pruneCheckpoints(outputDir, config.save_total_limit, state.watch.best?.step);
    events.onCheckpoint?.(lastCheckpoint, state.globalStep);
  };
  const writeAdapter = () =>
    writeDirAtomic(adapterDir, (tmp) => saveAdapter(adapter, tmp, { baseModelNameOrPath: config.model }), { replace: true });
  const runEval = () => {
    const valLoss = evaluate(model, validation, config, arena);
    const trainLoss = state.window.count > 0 ? state.window.lossSum / state.window.count : NaN;
    state.window = { lossSum: 0, count: 0 };
    const isBest = recordEval(state.watch, { step: state.globalStep, valLoss, trainLoss });
    if (isBest) writeAdapter();
    events.onEval?.({ step: state.globalStep, valLoss, perplexity: Math.exp(valLoss), isBest });
  };
  const finish = (stoppedBy: TrainResult["stoppedBy"]): TrainResult => {
    if (hasValidation && state.watch.history.at(-1)?.step !== state.globalStep && stoppedBy !== "interrupted") runEval();
    if (!hasValidation) writeAdapter();
    return {
      stoppedBy,
      globalStep: state.globalStep,
      totalSteps,
      best: state.watch.best,
      overfittingFrom: overfittingStart(state.watch),
      adapterDir,
      lastCheckpoint,
    };
  };

  for (let epoch = state.epoch; epoch < epochs; epoch++) {
    const steps = planEpoch(train, config.seed, epoch, options);
    for (let i = epoch === state.epoch ? state.stepInEpoch : 0; i < steps.length; i++) {
      if (state.globalStep >= totalSteps) return finish(config.max_steps !== undefined ? "max_steps" : "completed");
      const micro = steps[i];
      const targets = micro.reduce((n, b) => n + countTargets(b), 0);
      if (targets === 0) throw new LoraforgeError(`step ${state.globalStep + 1} has no trained tokens (every label is -100)`);
      adapter.zeroGradients();
      let lossSum = 0;
      let tokens = 0;
      for (const [j, batch] of micro.entries()) {
        const r = arena.run(() =>
          lossAndGradients(model, batch, {
            normalizer: targets,
            checkpointing: config.gradient_checkpointing ?? config.quantization !== undefined,
            dropoutSeed: dropoutSeed(config.seed, state.globalStep, j),
          }),
        );
        lossSum += r.lossSum;
        tokens += batch.inputIds.length;
      }
      const loss = lossSum / targets;
      const grads = adapter.gradients();
      const gradNorm = config.max_grad_norm > 0 ? backend.clipGradNorm(grads, config.max_grad_norm) : backend.gradNorm(grads);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        throw new DivergedError(
          `training diverged at step ${state.globalStep + 1}: ${Number.isFinite(loss) ? `gradient norm is ${gradNorm}` : `loss is ${loss}`}`,
          { hint: `lower learning_rate (now ${config.learning_rate}) or set max_grad_norm; the last good checkpoint is untouched` },
        );
      }
      const learningRate = config.learning_rate * lrMultiplier(config.lr_scheduler_type, state.globalStep, warmup, totalSteps);
      optimizer.apply(learningRate);
      state.globalStep++;
      state.epoch = epoch;
      state.stepInEpoch = i + 1;
      state.window.lossSum += lossSum;
      state.window.count += targets;
      events.onStep?.({ step: state.globalStep, totalSteps, epoch, loss, learningRate, gradNorm, tokens, targets, elapsedMs: Date.now() - started });

      if (hasValidation && config.eval_steps !== undefined && state.globalStep % config.eval_steps === 0) runEval();
      if (state.globalStep % config.save_steps === 0) checkpoint();
      if (hasValidation && shouldStop(state.watch, config.early_stopping_patience)) return finish("early_stopping");
      if (events.stopRequested?.()) {
        if (lastCheckpoint === undefined || !lastCheckpoint.endsWith(`-${state.globalStep}`)) checkpoint();
        return finish("interrupted");
      }
    }
    state.epoch = epoch + 1;
    state.stepInEpoch = 0;
    if (hasValidation && config.eval_steps === undefined) runEval();
    if (hasValidation && shouldStop(state.watch, config.early_stopping_patience)) return finish("early_stopping");
  }
  return finish(config.max_steps !== undefined && state.globalStep >= config.max_steps ? "max_steps" : "completed");
}
