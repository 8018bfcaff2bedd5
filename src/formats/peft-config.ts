import { ConfigError } from "../util/errors.js";
import { readJsonObject, stringifySorted } from "./json-file.js";

/**
 * adapter_config.json of a PEFT LoRA adapter (docs/formats/peft.md §3.2): what we read from PEFT's files and write for it.
 * Settings loraforge does not implement are refused here with the field named, never silently ignored.
 */
export interface LoraAdapterConfig {
  r: number;
  loraAlpha: number;
  loraDropout: number;
  /** A list = module-name suffixes; a string = a full-match regex, or "all-linear". */
  targetModules: string[] | string;
  excludeModules: string[] | string | null;
  useRslora: boolean;
  /** true = kaiming-uniform A, zero B; "gaussian" = N(0, 1/r²) A; false = random B too (tests). */
  initLoraWeights: boolean | "gaussian";
  baseModelNameOrPath: string | null;
  revision: string | null;
  /** Fields we do not know, with non-default values, kept so a caller can warn about them. */
  unknownFields: string[];
}

/** PEFT's default target modules for the four architectures (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
const DEFAULT_TARGETS = ["q_proj", "v_proj"];

/** Fields PEFT writes that must hold their default (or one of the listed values) for us to load the adapter. */
const MUST_BE_DEFAULT: Record<string, { ok: (v: unknown) => boolean; why: string }> = {
  use_dora: { ok: (v) => v === false, why: "DoRA is not supported" },
  modules_to_save: { ok: isEmpty, why: "fully trained extra modules (modules_to_save) are not supported" },
  bias: { ok: (v) => v === "none", why: 'only bias "none" is supported' },
  rank_pattern: { ok: isEmpty, why: "per-module ranks (rank_pattern) are not supported" },
  alpha_pattern: { ok: isEmpty, why: "per-module alphas (alpha_pattern) are not supported" },
  layers_to_transform: { ok: isEmpty, why: "layers_to_transform is not supported" },
  layers_pattern: { ok: isEmpty, why: "layers_pattern is not supported" },
  fan_in_fan_out: { ok: (v) => v === false, why: "fan_in_fan_out is for GPT-2 Conv1D layers, not Llama-family models" },
  lora_bias: { ok: (v) => v === false, why: "a bias on lora_B (lora_bias) is not supported" },
  use_qalora: { ok: (v) => v === false, why: "QALoRA is not supported" },
  layer_replication: { ok: isEmpty, why: "layer_replication is not supported" },
  trainable_token_indices: { ok: isEmpty, why: "trainable_token_indices is not supported" },
  target_parameters: { ok: isEmpty, why: "target_parameters (LoRA on parameters) is not supported" },
  alora_invocation_tokens: { ok: isEmpty, why: "activated LoRA (alora_invocation_tokens) is not supported" },
  megatron_config: { ok: isEmpty, why: "Megatron layers are not supported" },
  arrow_config: { ok: isEmpty, why: "Arrow routing is not supported" },
  loftq_config: { ok: isEmpty, why: "LoftQ rewrites the base weights and is not supported" },
};

/** Fields that carry no meaning for loading (bookkeeping, or init-only settings). */
const BOOKKEEPING = new Set([
  "peft_type",
  "task_type",
  "peft_version",
  "auto_mapping",
  "inference_mode",
  "revision",
  "base_model_name_or_path",
  "eva_config",
  "corda_config",
  "qalora_group_size",
  "megatron_core",
  "runtime_config",
  "ensure_weight_tying",
]);

const CORE = new Set(["r", "lora_alpha", "lora_dropout", "target_modules", "exclude_modules", "use_rslora", "init_lora_weights"]);

/** Parses an adapter_config.json object (defaults as PEFT's dataclass). */
export function parseAdapterConfig(raw: Record<string, unknown>, file: string): LoraAdapterConfig {
  const fail = (field: string, why: string): never => {
    throw new ConfigError(`${file}: ${field} = ${JSON.stringify(raw[field])}: ${why}`);
  };
  if (raw.peft_type !== "LORA") fail("peft_type", 'only LoRA adapters ("LORA") are supported');
  if (raw.task_type != null && raw.task_type !== "CAUSAL_LM") fail("task_type", "only CAUSAL_LM adapters are supported");
  for (const [field, rule] of Object.entries(MUST_BE_DEFAULT)) {
    if (raw[field] != null && !rule.ok(raw[field])) fail(field, rule.why);
  }
  const r = raw.r ?? 8;
  if (!Number.isSafeInteger(r) || (r as number) <= 0) fail("r", "expected a positive integer");
  const alpha = raw.lora_alpha ?? 8;
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha <= 0) fail("lora_alpha", "expected a positive number");
  const dropout = raw.lora_dropout ?? 0;
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) fail("lora_dropout", "expected a number in [0, 1)");
  const init = raw.init_lora_weights ?? true;
  if (init !== true && init !== false && init !== "gaussian") {
    fail("init_lora_weights", 'supported: true, false, "gaussian" (other schemes such as PiSSA/OLoRA/LoftQ change the base weights)');
  }
  return {
    r: r as number,
    loraAlpha: alpha as number,
    loraDropout: dropout as number,
    targetModules: raw.target_modules == null ? [...DEFAULT_TARGETS] : moduleList(raw.target_modules, "target_modules", fail),
    excludeModules: raw.exclude_modules == null ? null : moduleList(raw.exclude_modules, "exclude_modules", fail),
    useRslora: boolField(raw, "use_rslora", fail),
    initLoraWeights: init as boolean | "gaussian",
    baseModelNameOrPath: typeof raw.base_model_name_or_path === "string" ? raw.base_model_name_or_path : null,
    revision: typeof raw.revision === "string" ? raw.revision : null,
    unknownFields: Object.keys(raw).filter(
      (k) => !CORE.has(k) && !BOOKKEEPING.has(k) && !Object.hasOwn(MUST_BE_DEFAULT, k) && !isEmpty(raw[k]),
    ),
  };
}

export function readAdapterConfig(file: string): LoraAdapterConfig {
  return parseAdapterConfig(readJsonObject(file), file);
}

/** The adapter_config.json PEFT writes for this config: every field, keys sorted, inference_mode true. */
export function adapterConfigJson(c: LoraAdapterConfig): string {
  return stringifySorted({
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: c.baseModelNameOrPath,
    bias: "none",
    corda_config: null,
    eva_config: null,
    exclude_modules: c.excludeModules,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: c.initLoraWeights,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: c.loraAlpha,
    lora_bias: false,
    lora_dropout: c.loraDropout,
    megatron_config: null,
    megatron_core: "megatron.core",
    modules_to_save: null,
    peft_type: "LORA",
    r: c.r,
    rank_pattern: {},
    revision: c.revision,
    target_modules: c.targetModules,
    task_type: "CAUSAL_LM",
    trainable_token_indices: null,
    use_dora: false,
    use_rslora: c.useRslora,
  });
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === "object" && Object.keys(v).length === 0;
}

function boolField(raw: Record<string, unknown>, field: string, fail: (f: string, why: string) => never): boolean {
  const v = raw[field] ?? false;
  if (typeof v !== "boolean") fail(field, "expected true or false");
  return v as boolean;
}

function moduleList(v: unknown, field: string, fail: (f: string, why: string) => never): string[] | string {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((m) => typeof m === "string")) return v as string[];
  return fail(field, "expected a list of module names or a regex string");
}
