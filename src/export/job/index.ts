/**
 * export-job: a training config as a TRL + Accelerate job folder (train.py, job.json, accelerate_config.yaml,
 * requirements.txt, slurm.sh, README.md, train.jsonl / val.jsonl); docs/export-job.md.
 */
export type { BatchPlan } from "./batch-plan.js";
export { planBatch } from "./batch-plan.js";
export type { ExportJobOptions, ExportJobResult } from "./export-job.js";
export { JOB_TARGETS, exportJob } from "./export-job.js";
export type { JobSettings, KeyKind, KeyRule } from "./key-map.js";
export { KEY_RULES, mapConfig } from "./key-map.js";
export type { ModelSource } from "./model-source.js";
export { modelSource } from "./model-source.js";
export { JOB_PINS } from "./requirements.js";
export type { Strategy } from "./strategies.js";
export { STRATEGIES, parseStrategy } from "./strategies.js";
