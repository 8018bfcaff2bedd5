/**
 * Learning-rate schedules as transformers defines them. `step` is the 0-based index of the optimizer step
 * about to run (the first step uses step 0, so a linear warmup starts at lr 0, as the Trainer does).
 */
export type SchedulerType = "linear" | "cosine" | "constant";

export function lrMultiplier(type: SchedulerType, step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  if (type === "constant") return 1;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = (step - warmupSteps) / decaySteps;
  if (type === "linear") return Math.max(0, (totalSteps - step) / decaySteps);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** Warmup steps from warmup_steps, or ceil(ratio · total) as transformers does for warmup_ratio. */
export function resolveWarmupSteps(warmupSteps: number, warmupRatio: number, totalSteps: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(totalSteps * warmupRatio);
}
