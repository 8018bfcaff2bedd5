import { ConfigError } from "../../util/errors.js";

/** How a config's batch is spread over the job's processes. */
export interface BatchPlan {
  /** Processes in the job: GPUs per node × nodes. */
  processes: number;
  /** batch_size × gradient_accumulation_steps of the config: rows per optimizer step, kept as is. */
  globalBatch: number;
  perDeviceBatch: number;
  gradientAccumulation: number;
}

/**
 * Keeps the optimizer step's rows (the global batch the learning rate was tuned for): every process takes
 * globalBatch / processes rows per step, as the largest per-device batch not above the config's batch_size
 * that divides them, and accumulates the rest. A global batch the processes cannot share evenly is refused.
 */
export function planBatch(batchSize: number, accumulation: number, processes: number): BatchPlan {
  const globalBatch = batchSize * accumulation;
  if (globalBatch % processes !== 0) {
    throw new ConfigError(
      `batch_size × gradient_accumulation_steps = ${globalBatch} rows per optimizer step cannot be shared evenly by ${processes} processes`,
      { hint: `choose --gpus/--nodes whose product divides ${globalBatch}, or set gradient_accumulation_steps so that it does` },
    );
  }
  const perProcess = globalBatch / processes;
  let perDeviceBatch = Math.min(batchSize, perProcess);
  while (perProcess % perDeviceBatch !== 0) perDeviceBatch--;
  return { processes, globalBatch, perDeviceBatch, gradientAccumulation: perProcess / perDeviceBatch };
}
