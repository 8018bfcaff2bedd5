// The public face of src/serve: an OpenAI-compatible server over one base and many LoRA adapters.
export type { LoraServer, ServerOptions } from "./server.js";
export { DEFAULT_LIMITS, createServer } from "./server.js";
export type { SchedulerLimits, SequenceHandle, SequenceRequest, SequenceResult } from "./scheduler.js";
export { Scheduler } from "./scheduler.js";
export type { AdapterEntry, ModelLease } from "./adapter-registry.js";
export { AdapterRegistry } from "./adapter-registry.js";
export { ApiError } from "./api-error.js";
