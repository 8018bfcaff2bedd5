import type { Model } from "../model/index.js";
import type { LoraTokenizer } from "../tokenizer/index.js";
import type { AdapterRegistry } from "./adapter-registry.js";
import type { Scheduler } from "./scheduler.js";

/** What the routes share: the base model and its tokenizer, the adapters, the scheduler. */
export interface ServeContext {
  model: Model;
  tokenizer: LoraTokenizer;
  registry: AdapterRegistry;
  scheduler: Scheduler;
  /** Most positions a sequence may hold: the model's context. */
  contextLength: number;
  /** Generated ids → text, special tokens dropped. */
  decode: (ids: number[]) => string;
  /** Where generation stops: the model's eos ids and the template's end-of-turn tokens. */
  eosTokenIds: readonly number[];
}
