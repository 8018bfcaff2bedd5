// The public library entry of loraforge. Each layer's index.ts is its public face.
export * from "./tensor/index.js";
export { LoraforgeError, ShapeError, InputError, ConfigError } from "./util/errors.js";
export { packageVersion } from "./util/package-info.js";
export type {
  Batch,
  ComputeDtype,
  GenerateOptions,
  GenerateResult,
  LoadModelOptions,
  LossOptions,
  LossResult,
  Model,
  ModelConfig,
  SamplingOptions,
  Sequence,
} from "./model/index.js";
export { IGNORE_INDEX, computeLoss, countTargets, forwardLogits, generate, loadModel, lossAndGradients, makeBatch } from "./model/index.js";
export { setComputeDtype } from "./model/index.js";
export type { LoraConfig } from "./lora/index.js";
export {
  LoraAdapter,
  attachAdapter,
  buildLoraAdapter,
  detachAdapter,
  loadAdapter,
  loraConfig,
  mergedWeights,
  saveAdapter,
} from "./lora/index.js";
export type { ChatMessage, LoadTokenizerOptions, LoraTokenizer } from "./tokenizer/index.js";
export { BUILTIN_TEMPLATES, loadTokenizer } from "./tokenizer/index.js";
export type { CheckOptions, CheckReport, PrepareOptions, PrepareResult, TrainingRecord } from "./data/index.js";
export { checkData, inspectData, prepareDataset } from "./data/index.js";
export { SafetensorsReader, readAdapterFolder, writeAdapterFolder, writeSafetensors } from "./formats/index.js";
export type { EvalEvent, StepEvent, TrainConfig, TrainEvents, TrainInputs, TrainPlan, TrainRecord, TrainResult, TrainSession } from "./train/index.js";
export { describePlan, evaluateLoss, loadTrainConfig, openSession, runTraining, writeReport } from "./train/index.js";
export type { AdapterCheck, Finding, PullOptions, PullResult, PushOptions, PushPlan, PushResult, ResolveOptions, Runtime } from "./hub/index.js";
export { checkAdapter, pullModel, pushToHub, resolveModelReference } from "./hub/index.js";
export type { LoraServer, SchedulerLimits, ServerOptions } from "./serve/index.js";
export { createServer } from "./serve/index.js";
