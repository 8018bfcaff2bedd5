import path from "node:path";
import { Worker } from "node:worker_threads";
import { writeFileAtomic } from "../util/atomic-write.js";
import { LoraforgeError } from "../util/errors.js";
import { packageVersion } from "../util/package-info.js";
import type { TrainConfig } from "./config-schema.js";
import { appendMetric, RUN_FILE } from "./run-folder.js";
import type { TrainPlan } from "./session.js";
import type { EvalEvent, StepEvent, TrainResult } from "./trainer.js";
import type { WorkerInput, WorkerMessage } from "./worker-protocol.js";

export interface BackgroundRunHandlers {
  onPlan?(plan: TrainPlan): void;
  onStep?(event: StepEvent): void;
  onEval?(event: EvalEvent): void;
}

/** Starts the training worker: worker.js beside this file, or from source through tsx (tests, development). */
function startWorker(input: WorkerInput): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url), { workerData: input });
  const entry = new URL("./worker.ts", import.meta.url).href;
  return new Worker(new URL("../../scripts/tsx-worker.mjs", import.meta.url), { workerData: { ...input, entry } });
}

/**
 * A training run on a worker thread (the main thread stays free for progress and signals). It writes
 * output_dir/run.json and metrics.jsonl; `done` resolves with the result, `requestStop()` asks the loop to save a
 * checkpoint after the current optimizer step and end.
 */
export class BackgroundRun {
  readonly done: Promise<TrainResult>;
  private readonly stopFlag = new SharedArrayBuffer(4);
  private window = { lossSum: 0, steps: 0, tokens: 0, since: Date.now() };
  private readonly started = new Date();

  constructor(
    private readonly config: TrainConfig,
    private readonly resumeFrom: string | undefined,
    private readonly handlers: BackgroundRunHandlers = {},
  ) {
    const worker = startWorker({ config, resumeFrom, stopFlag: this.stopFlag });
    this.done = new Promise<TrainResult>((resolve, reject) => {
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "done") {
          this.writeRunFile({ result: m.result, finished: new Date().toISOString() });
          resolve(m.result);
        } else if (m.type === "error") {
          reject(m.expected ? new LoraforgeError(m.message, { hint: m.hint }) : Object.assign(new Error(m.message), { stack: m.stack }));
        } else {
          this.handle(m);
        }
      });
      worker.on("error", reject);
    });
  }

  requestStop(): void {
    Atomics.store(new Int32Array(this.stopFlag), 0, 1);
  }

  private handle(m: Exclude<WorkerMessage, { type: "done" | "error" }>): void {
    const c = this.config;
    switch (m.type) {
      case "plan":
        this.writeRunFile({ runHash: m.runHash, plan: m.plan });
        this.handlers.onPlan?.(m.plan);
        break;
      case "step": {
        const e = m.event;
        this.window.lossSum += e.loss;
        this.window.steps++;
        this.window.tokens += e.tokens;
        if (e.step % c.logging_steps === 0 || e.step === e.totalSteps) {
          const seconds = (Date.now() - this.window.since) / 1000;
          appendMetric(c.output_dir, {
            type: "train",
            step: e.step,
            epoch: e.epoch,
            loss: this.window.lossSum / this.window.steps,
            learning_rate: e.learningRate,
            grad_norm: e.gradNorm,
            tokens_per_second: this.window.tokens / Math.max(seconds, 1e-3),
          });
          this.window = { lossSum: 0, steps: 0, tokens: 0, since: Date.now() };
        }
        this.handlers.onStep?.(e);
        break;
      }
      case "eval":
        appendMetric(c.output_dir, { type: "eval", step: m.event.step, val_loss: m.event.valLoss, perplexity: m.event.perplexity, best: m.event.isBest });
        this.handlers.onEval?.(m.event);
        break;
      case "checkpoint":
        break;
    }
  }

  private writeRunFile(extra: Record<string, unknown>): void {
    const record = {
      loraforge: packageVersion(),
      node: process.version,
      config: this.config,
      resumedFrom: this.resumeFrom ?? null,
      started: this.started.toISOString(),
      ...extra,
    };
    writeFileAtomic(path.join(this.config.output_dir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
  }
}
