import { ConfigError } from "../util/errors.js";
import type { Json } from "./config-fields.js";
import { Fields, layerTypesJson, slidingLayersFromTypes } from "./config-fields.js";
import { gemma3Json, readGemma3 } from "./config-gemma3.js";

/**
 * The `architectures[0]` values loraforge runs. They differ only in config (biases, q/k norm, rope, head_dim, and
 * Gemma 3's norms, embedding scale and GeGLU: docs/models/gemma3.md).
 */
export const ARCHITECTURES = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "Gemma3ForCausalLM"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** config.json `model_type` of each architecture. */
export const MODEL_TYPES: Record<Architecture, string> = {
  LlamaForCausalLM: "llama",
  MistralForCausalLM: "mistral",
  Qwen2ForCausalLM: "qwen2",
  Qwen3ForCausalLM: "qwen3",
  Gemma3ForCausalLM: "gemma3_text",
};

/** The MLP's gate activation: silu (SwiGLU) or gelu_pytorch_tanh (GeGLU, Gemma). */
export type HiddenAct = "silu" | "gelu_pytorch_tanh";

/** `rope_type: "llama3"` frequency scaling (Llama 3.1 / 3.2). Same shape as the kernels' RopeConfig.llama3. */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** Sliding-window attention: `size` tokens, on the layers listed (Mistral: all; Qwen2/3: i ≥ max_window_layers). */
export interface SlidingWindow {
  size: number;
  layers: number[];
}

/** One normalized view of the architectures' config.json. */
export interface ModelConfig {
  architecture: Architecture;
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** Per-head width; q_proj has numHeads·headDim outputs, which may differ from hiddenSize (Qwen3). */
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** null = plain RoPE. */
  ropeScaling: Llama3RopeScaling | null;
  maxPositionEmbeddings: number;
  /** No lm_head tensor: logits use embed_tokens. */
  tieWordEmbeddings: boolean;
  /** Bias on q/k/v projections (Qwen2 always; Llama/Qwen3 with attention_bias). */
  qkvBias: boolean;
  /** Bias on o_proj (Llama/Qwen3 with attention_bias; never Qwen2). */
  oBias: boolean;
  /** RMSNorm over head_dim on q and k before RoPE (Qwen3). */
  qkNorm: boolean;
  /** Bias on gate/up/down (Llama mlp_bias). */
  mlpBias: boolean;
  slidingWindow: SlidingWindow | null;
  /** The MLP's gate activation. */
  hiddenAct: HiddenAct;
  /** Embedding rows × √hidden_size (Gemma; the scale rounded to the dtype the embedding is held in, as transformers). */
  scaleEmbeddings: boolean;
  /**
   * Gemma's RMSNorm y = x̂ · (1 + w) for the stored w. In memory loraforge holds the effective multiplier (1 + w, in
   * f32) so the norm kernels stay x̂ · w; the conversion happens once at load.
   */
  rmsNormUnitOffset: boolean;
  /** Gemma: post_attention_layernorm on the attention output, pre/post_feedforward_layernorm around the MLP. */
  sandwichNorms: boolean;
  /** Attention scale = (queryPreAttnScalar ?? headDim)^-0.5. */
  queryPreAttnScalar: number | null;
  /** RoPE base of the sliding-window layers (Gemma 3: rope_local_base_freq); null = ropeTheta on every layer. */
  ropeLocalTheta: number | null;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  /** torch_dtype (v4) or dtype (v5): a storage hint only. */
  torchDtype: string | null;
}


/** transformers' class defaults, for configs that omit the key. */
const DEFAULT_MAX_POSITIONS: Record<string, number> = { llama: 2048, mistral: 131072, qwen2: 32768, qwen3: 32768, gemma3_text: 131072 };

/** Parses a config.json object. `file` names the source in every error. */
export function parseModelConfig(raw: unknown, file: string): ModelConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${file}: config.json must hold a JSON object`);
  }
  const cfg = raw as Json;
  const f = new Fields(cfg, file);
  const architecture = readArchitecture(cfg, file);
  const modelType = MODEL_TYPES[architecture];
  const isGemma = modelType === "gemma3_text";

  const hiddenSize = f.posInt("hidden_size");
  const numHeads = f.posInt("num_attention_heads");
  const numKvHeads = f.optPosInt("num_key_value_heads") ?? numHeads;
  if (numHeads % numKvHeads !== 0) {
    f.fail("num_key_value_heads", numKvHeads, `must divide num_attention_heads (${numHeads})`);
  }
  // Qwen3's and Gemma 3's class defaults are 128 and 256 rather than hidden/heads; the others derive it.
  const defaultHeadDim = modelType === "qwen3" ? 128 : isGemma ? 256 : null;
  const headDim = f.optPosInt("head_dim") ?? defaultHeadDim ?? derivedHeadDim(f, hiddenSize, numHeads);
  if (headDim % 2 !== 0) f.fail("head_dim", headDim, "must be even for RoPE");
  const numLayers = f.posInt("num_hidden_layers");

  const attentionBias = f.optBool("attention_bias") ?? false;
  const qkvBias = modelType === "qwen2" ? true : modelType === "mistral" ? false : attentionBias;
  const oBias = modelType === "llama" || modelType === "qwen3" || isGemma ? attentionBias : false;
  const mlpBias = modelType === "llama" ? (f.optBool("mlp_bias") ?? false) : false;

  const arch = isGemma ? readGemma3(f, cfg, numLayers) : readSwiGluArch(f, cfg, modelType, numLayers);
  return {
    architecture,
    modelType,
    vocabSize: f.posInt("vocab_size"),
    hiddenSize,
    intermediateSize: f.posInt("intermediate_size"),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: f.optPositive("rms_norm_eps") ?? 1e-6,
    ropeTheta: arch.ropeTheta,
    ropeScaling: arch.ropeScaling,
    maxPositionEmbeddings: f.optPosInt("max_position_embeddings") ?? DEFAULT_MAX_POSITIONS[modelType],
    tieWordEmbeddings: f.optBool("tie_word_embeddings") ?? isGemma,
    qkvBias,
    oBias,
    qkNorm: modelType === "qwen3" || isGemma,
    mlpBias,
    slidingWindow: arch.slidingWindow,
    hiddenAct: arch.hiddenAct,
    scaleEmbeddings: isGemma,
    rmsNormUnitOffset: isGemma,
    sandwichNorms: isGemma,
    queryPreAttnScalar: arch.queryPreAttnScalar,
    ropeLocalTheta: arch.ropeLocalTheta,
    // Gemma3TextConfig's class defaults apply when the key is absent (an explicit null stays null).
    bosTokenId: isGemma && !("bos_token_id" in cfg) ? 2 : f.optTokenId("bos_token_id"),
    eosTokenIds: isGemma && !("eos_token_id" in cfg) ? [1] : f.tokenIds("eos_token_id"),
    padTokenId: isGemma && !("pad_token_id" in cfg) ? 0 : f.optTokenId("pad_token_id"),
    torchDtype: f.optString("torch_dtype") ?? f.optString("dtype"),
  };
}

/** The fields in which the architectures' layers differ beyond biases and shapes. */
export type ArchFields = Pick<
  ModelConfig,
  "hiddenAct" | "ropeTheta" | "ropeScaling" | "ropeLocalTheta" | "slidingWindow" | "queryPreAttnScalar"
>;

/** Llama, Mistral, Qwen2, Qwen3: SwiGLU, one rope base, 1/√head_dim attention. */
function readSwiGluArch(f: Fields, cfg: Json, modelType: string, numLayers: number): ArchFields {
  const hiddenAct = f.optString("hidden_act") ?? "silu";
  if (hiddenAct !== "silu") f.fail("hidden_act", hiddenAct, "only silu (SwiGLU) is supported");
  const { theta, scaling } = readRope(f, cfg);
  return {
    hiddenAct,
    ropeTheta: theta,
    ropeScaling: scaling,
    ropeLocalTheta: null,
    slidingWindow: readSlidingWindow(f, cfg, modelType, numLayers),
    queryPreAttnScalar: null,
  };
}

function readArchitecture(cfg: Json, file: string): Architecture {
  const archs = cfg.architectures;
  if (Array.isArray(archs) && archs.length > 0) {
    const name = archs[0];
    if (!(ARCHITECTURES as readonly unknown[]).includes(name)) {
      throw new ConfigError(`${file}: unsupported architectures[0] ${JSON.stringify(name)}`, {
        hint: `supported: ${ARCHITECTURES.join(", ")}`,
      });
    }
    return name as Architecture;
  }
  // Some configs carry only model_type.
  const type = cfg.model_type;
  const byType = ARCHITECTURES.find((a) => MODEL_TYPES[a] === type);
  if (byType) return byType;
  throw new ConfigError(
    `${file}: unsupported or missing architecture (architectures ${JSON.stringify(archs ?? null)}, model_type ${JSON.stringify(type ?? null)})`,
    { hint: `supported: ${ARCHITECTURES.join(", ")}` },
  );
}

function derivedHeadDim(f: Fields, hiddenSize: number, numHeads: number): number {
  if (hiddenSize % numHeads !== 0) {
    f.fail("num_attention_heads", numHeads, `does not divide hidden_size (${hiddenSize}) and head_dim is not set`);
  }
  return hiddenSize / numHeads;
}

/** rope_theta and scaling from the v4 spelling (rope_theta + rope_scaling) or the v5 one (rope_parameters). */
function readRope(f: Fields, cfg: Json): { theta: number; scaling: Llama3RopeScaling | null } {
  const params = cfg.rope_parameters ?? cfg.rope_scaling;
  const field = cfg.rope_parameters !== undefined && cfg.rope_parameters !== null ? "rope_parameters" : "rope_scaling";
  let theta = f.optPositive("rope_theta") ?? 10000;
  if (params === undefined || params === null) return { theta, scaling: null };
  if (typeof params !== "object" || Array.isArray(params)) f.fail(field, params, "must be an object or null");
  const p = new Fields(params as Json, f.file, field);
  theta = p.optPositive("rope_theta") ?? theta;
  const type = p.optString("rope_type") ?? p.optString("type") ?? "default";
  if (type === "default") return { theta, scaling: null };
  if (type !== "llama3") p.fail("rope_type", type, "supported rope types: default, llama3");
  const scaling = {
    factor: p.positive("factor"),
    lowFreqFactor: p.positive("low_freq_factor"),
    highFreqFactor: p.positive("high_freq_factor"),
    originalMaxPositionEmbeddings: p.posInt("original_max_position_embeddings"),
  };
  if (scaling.highFreqFactor <= scaling.lowFreqFactor) {
    p.fail("high_freq_factor", scaling.highFreqFactor, `must exceed low_freq_factor (${scaling.lowFreqFactor})`);
  }
  return { theta, scaling };
}

function readSlidingWindow(f: Fields, cfg: Json, modelType: string, numLayers: number): SlidingWindow | null {
  const all = Array.from({ length: numLayers }, (_, i) => i);
  if (modelType === "mistral") {
    const size = f.optPosInt("sliding_window");
    return size === null ? null : { size, layers: all };
  }
  if (modelType === "qwen2" || modelType === "qwen3") {
    // As Qwen2Config: no window unless use_sliding_window, and an explicit null window means none.
    if (!(f.optBool("use_sliding_window") ?? false)) return null;
    const size = "sliding_window" in cfg ? f.optPosInt("sliding_window") : 4096;
    if (size === null) return null;
    const from = f.optInt("max_window_layers") ?? 28;
    const layers = slidingLayersFromTypes(f, cfg, numLayers) ?? all.filter((i) => i >= from);
    return layers.length === 0 ? null : { size, layers };
  }
  return null;
}

/** The config.json that transformers writes for this config (inverse of parseModelConfig). */
export function modelConfigToJson(c: ModelConfig): Record<string, unknown> {
  const gemma = c.modelType === "gemma3_text";
  const out: Record<string, unknown> = {
    architectures: [c.architecture],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    [gemma ? "hidden_activation" : "hidden_act"]: c.hiddenAct,
    max_position_embeddings: c.maxPositionEmbeddings,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: c.ropeScaling && {
      rope_type: "llama3",
      factor: c.ropeScaling.factor,
      low_freq_factor: c.ropeScaling.lowFreqFactor,
      high_freq_factor: c.ropeScaling.highFreqFactor,
      original_max_position_embeddings: c.ropeScaling.originalMaxPositionEmbeddings,
    },
    tie_word_embeddings: c.tieWordEmbeddings,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
    torch_dtype: c.torchDtype ?? "bfloat16",
    initializer_range: 0.02,
    use_cache: true,
  };
  if (c.modelType === "llama" || c.modelType === "qwen3" || gemma) out.attention_bias = c.oBias;
  if (c.modelType === "llama") out.mlp_bias = c.mlpBias;
  if (c.padTokenId !== null || gemma) out.pad_token_id = c.padTokenId;
  if (c.modelType === "mistral") out.sliding_window = c.slidingWindow?.size ?? null;
  if (c.modelType === "qwen2" || c.modelType === "qwen3") {
    out.use_sliding_window = c.slidingWindow !== null;
    out.sliding_window = c.slidingWindow?.size ?? null;
    out.max_window_layers = c.slidingWindow ? Math.min(...c.slidingWindow.layers, c.numLayers) : c.numLayers;
    // The exact layers, for windows that are not one suffix of the stack (transformers 5 prefers layer_types).
    if (c.slidingWindow) out.layer_types = layerTypesJson(c.numLayers, c.slidingWindow.layers);
  }
  if (gemma) Object.assign(out, gemma3Json(c));
  return out;
}
