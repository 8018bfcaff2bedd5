import type { TrainConfig } from "./config-schema.js";
import type { TrainPlan } from "./session.js";
import type { EvalEvent, StepEvent, TrainResult } from "./trainer.js";

/** What the CLI hands the training worker. */
export interface WorkerInput {
  config: TrainConfig;
  resumeFrom?: string;
  /** Int32Array flag over shared memory: set to 1 by the main thread to request a graceful stop. */
  stopFlag: SharedArrayBuffer;
}

/** Messages from the worker to the main thread. */
export type WorkerMessage =
  | { type: "plan"; plan: TrainPlan; runHash: string }
  | { type: "step"; event: StepEvent }
  | { type: "eval"; event: EvalEvent }
  | { type: "checkpoint"; dir: string; step: number }
  | { type: "done"; result: TrainResult }
  | { type: "error"; message: string; hint?: string; expected: boolean; stack?: string };
