// The public face of src/train: config, session (model + adapter + data), the loop, evaluation, report.
export type { TrainConfig, TrainConfigInput } from "./config-schema.js";
export { computeDtypeOf } from "./config-schema.js";
export { loadTrainConfig, resolveConfig, trainConfigJsonSchema } from "./config-load.js";
export type { TrainPlan, TrainSession } from "./session.js";
export { describePlan, openSession, readTrainData } from "./session.js";
export type { EvalEvent, StepEvent, TrainEvents, TrainInputs, TrainResult } from "./trainer.js";
export { DivergedError, runTraining } from "./trainer.js";
export type { TrainRecord } from "./batches.js";
export { evaluateGenerations, evaluateLoss } from "./evaluate.js";
export { parseJsonObject, scoreGeneration, summarizeScores } from "./eval-metrics.js";
export { writeReport } from "./report.js";
export type { BackgroundRunHandlers } from "./background-run.js";
export { BackgroundRun } from "./background-run.js";
export { METRICS_FILE, RUN_FILE, prepareOutputDir, resolveResume, truncateMetrics } from "./run-folder.js";
