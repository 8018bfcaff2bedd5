// The public face of src/hub: models by Hub id into the Hugging Face cache, pushes with a model card, adapter preflight.
export type { HubContext, HubContextOptions } from "./hub-context.js";
export { hubContext } from "./hub-context.js";
export { hubCacheDir, hubEndpoint, hubOffline } from "./hub-env.js";
export { HubNetworkError } from "./hub-errors.js";
export type { RepoFile, SelectionOptions } from "./file-selection.js";
export { TOKENIZER_ONLY } from "./file-selection.js";
export type { PullOptions, PullProgress, PullResult } from "./pull.js";
export { cachedSnapshot, pullModel } from "./pull.js";
export type { ResolveOptions } from "./resolve-model.js";
export { resolveModelReference } from "./resolve-model.js";
export type { AdapterCheck } from "./preflight/check-adapter.js";
export { checkAdapter, hasErrors } from "./preflight/check-adapter.js";
export type { Finding, Runtime } from "./preflight/finding.js";
export { RUNTIMES } from "./preflight/finding.js";
export { locateBase } from "./preflight/locate-base.js";
export { VLLM_DEFAULT_MAX_LORA_RANK, VLLM_MAX_LORA_RANKS } from "./preflight/vllm-rules.js";
export type { PushOptions, PushPlan, PushResult } from "./push/push.js";
export { pushToHub } from "./push/push.js";
