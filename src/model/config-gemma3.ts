import type { ArchFields, ModelConfig } from "./config.js";
import type { Json } from "./config-fields.js";
import { Fields, layerTypesJson, slidingLayersFromTypes } from "./config-fields.js";

/** Gemma3TextConfig's defaults: five sliding layers then one full layer, a 4096-token window. */
const GEMMA3_PATTERN_DEFAULT = 6;
const GEMMA3_WINDOW_DEFAULT = 4096;

/**
 * Gemma 3 (transformers' Gemma3TextConfig; docs/models/gemma3.md): GeGLU, query_pre_attn_scalar, a rope base for
 * the full-attention layers and one for the sliding ones, the layer pattern. Features loraforge does not compute
 * (soft-capping, bidirectional attention, rope scaling) are refused by field rather than ignored.
 */
export function readGemma3(f: Fields, cfg: Json, numLayers: number): ArchFields {
  const hiddenAct = f.optString("hidden_activation") ?? f.optString("hidden_act") ?? "gelu_pytorch_tanh";
  if (hiddenAct !== "gelu_pytorch_tanh") {
    f.fail(cfg.hidden_activation !== undefined ? "hidden_activation" : "hidden_act", hiddenAct, "Gemma 3 supports gelu_pytorch_tanh (GeGLU) only");
  }
  for (const field of ["final_logit_softcapping", "attn_logit_softcapping"]) {
    const v = cfg[field] ?? null;
    if (v !== null) f.fail(field, v, "soft-capping is not implemented; only null is supported");
  }
  if (f.optBool("use_bidirectional_attention") ?? false) {
    f.fail("use_bidirectional_attention", true, "only causal attention (false) is supported");
  }
  const { full, sliding } = readGemma3Rope(f, cfg);
  const size = "sliding_window" in cfg ? f.optPosInt("sliding_window") : GEMMA3_WINDOW_DEFAULT;
  const slidingLayers = slidingLayersFromTypes(f, cfg, numLayers) ?? gemma3PatternLayers(numLayers, gemma3Pattern(f, cfg));
  // transformers builds the sliding mask from sliding_window and fails without one (Gemma3TextModel.forward).
  if (size === null && slidingLayers.length > 0) f.fail("sliding_window", null, "must be a positive integer when any layer is sliding_attention");
  return {
    hiddenAct,
    ropeTheta: full,
    ropeScaling: null,
    ropeLocalTheta: sliding,
    slidingWindow: size === null || slidingLayers.length === 0 ? null : { size, layers: slidingLayers },
    queryPreAttnScalar: f.optPositive("query_pre_attn_scalar") ?? 256,
  };
}

/**
 * The rope bases: v5 `rope_parameters: {full_attention: {...}, sliding_attention: {...}}`, or v4 `rope_theta`
 * (default 1e6) + `rope_local_base_freq` (default 1e4) with `rope_scaling` for the full-attention layers.
 */
function readGemma3Rope(f: Fields, cfg: Json): { full: number; sliding: number } {
  let full = f.optPositive("rope_theta") ?? 1e6;
  let sliding = f.optPositive("rope_local_base_freq") ?? 1e4;
  const scaling = cfg.rope_scaling ?? null;
  if (scaling !== null) {
    if (typeof scaling !== "object" || Array.isArray(scaling)) f.fail("rope_scaling", scaling, "must be an object or null");
    requireDefaultRope(new Fields(scaling as Json, f.file, "rope_scaling"));
  }
  const params = cfg.rope_parameters ?? null;
  if (params === null) return { full, sliding };
  if (typeof params !== "object" || Array.isArray(params)) f.fail("rope_parameters", params, "must be an object or null");
  const byType = new Fields(params as Json, f.file, "rope_parameters");
  for (const key of Object.keys(params)) {
    if (key !== "full_attention" && key !== "sliding_attention") {
      byType.fail(key, (params as Json)[key], "Gemma 3 rope_parameters holds one entry per layer type: full_attention, sliding_attention");
    }
  }
  for (const layerType of ["full_attention", "sliding_attention"] as const) {
    const entry = (params as Json)[layerType] ?? null;
    if (entry === null) continue;
    if (typeof entry !== "object" || Array.isArray(entry)) byType.fail(layerType, entry, "must be an object or null");
    const p = new Fields(entry as Json, f.file, `rope_parameters.${layerType}`);
    requireDefaultRope(p);
    const theta = p.optPositive("rope_theta");
    if (theta !== null && layerType === "full_attention") full = theta;
    if (theta !== null && layerType === "sliding_attention") sliding = theta;
  }
  return { full, sliding };
}

function requireDefaultRope(p: Fields): void {
  const type = p.optString("rope_type") ?? p.optString("type") ?? "default";
  if (type !== "default") p.fail("rope_type", type, "Gemma 3 rope scaling is not implemented; only default rope is supported");
}

function gemma3Pattern(f: Fields, cfg: Json): number {
  const field = cfg.sliding_window_pattern !== undefined ? "sliding_window_pattern" : "_sliding_window_pattern";
  return f.optPosInt(field) ?? GEMMA3_PATTERN_DEFAULT;
}

/** transformers' Gemma 3 pattern rule: layer i is full attention iff (i + 1) % pattern == 0, sliding otherwise. */
export function gemma3PatternLayers(numLayers: number, pattern = GEMMA3_PATTERN_DEFAULT): number[] {
  return Array.from({ length: numLayers }, (_, i) => i).filter((i) => (i + 1) % pattern !== 0);
}

/** Gemma 3's own keys, in the v4 spelling that transformers 4.5x and 5.x both read (docs/models/gemma3.md). */
export function gemma3Json(c: ModelConfig): Record<string, unknown> {
  return {
    rope_local_base_freq: c.ropeLocalTheta ?? c.ropeTheta,
    query_pre_attn_scalar: c.queryPreAttnScalar ?? c.headDim,
    // Never null: transformers' Gemma3TextModel builds a sliding mask even when every layer is full attention.
    sliding_window: c.slidingWindow?.size ?? GEMMA3_WINDOW_DEFAULT,
    layer_types: layerTypesJson(c.numLayers, c.slidingWindow?.layers ?? []),
    final_logit_softcapping: null,
    attn_logit_softcapping: null,
    use_bidirectional_attention: false,
    attention_dropout: 0.0,
  };
}
