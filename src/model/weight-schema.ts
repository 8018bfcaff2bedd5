import type { ModelConfig } from "./config.js";

/** Fields of one decoder layer's weights, named after their role (HF names in layerTensorName). */
export type LayerWeightKey =
  | "inputNorm"
  | "q"
  | "k"
  | "v"
  | "o"
  | "qBias"
  | "kBias"
  | "vBias"
  | "oBias"
  | "qNorm"
  | "kNorm"
  | "postNorm"
  | "preFfnNorm"
  | "postFfnNorm"
  | "gate"
  | "up"
  | "down"
  | "gateBias"
  | "upBias"
  | "downBias";

export type GlobalWeightKey = "embedTokens" | "norm" | "lmHead";

/** One tensor the checkpoint must hold: its HF name, PyTorch shape and where it goes in ModelWeights. */
export interface WeightSpec {
  name: string;
  shape: number[];
  /** `layer` is set for per-layer tensors. */
  slot: { layer: number; key: LayerWeightKey } | { layer?: undefined; key: GlobalWeightKey };
}

/** HF module paths of the seven linear projections of a layer, relative to `model.layers.{i}.`. */
export const LINEAR_MODULES = {
  q: "self_attn.q_proj",
  k: "self_attn.k_proj",
  v: "self_attn.v_proj",
  o: "self_attn.o_proj",
  gate: "mlp.gate_proj",
  up: "mlp.up_proj",
  down: "mlp.down_proj",
} as const;
export type LinearKey = keyof typeof LINEAR_MODULES;

/** `[out, in]` of each projection. */
export function linearShapes(c: ModelConfig): Record<LinearKey, [number, number]> {
  const H = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const F = c.intermediateSize;
  return { q: [q, H], k: [kv, H], v: [kv, H], o: [H, q], gate: [F, H], up: [F, H], down: [H, F] };
}

/** Every tensor of the checkpoint, in HF state-dict order (docs/formats/hf-folder.md §2.3). */
export function weightSchema(c: ModelConfig): WeightSpec[] {
  const H = c.hiddenSize;
  const lin = linearShapes(c);
  const specs: WeightSpec[] = [{ name: "model.embed_tokens.weight", shape: [c.vocabSize, H], slot: { key: "embedTokens" } }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    const add = (key: LayerWeightKey, name: string, shape: number[]) => specs.push({ name: p + name, shape, slot: { layer: i, key } });
    add("inputNorm", "input_layernorm.weight", [H]);
    for (const key of ["q", "k", "v", "o"] as const) {
      add(key, `${LINEAR_MODULES[key]}.weight`, lin[key]);
      const hasBias = key === "o" ? c.oBias : c.qkvBias;
      if (hasBias) add(`${key}Bias`, `${LINEAR_MODULES[key]}.bias`, [lin[key][0]]);
    }
    if (c.qkNorm) {
      add("qNorm", "self_attn.q_norm.weight", [c.headDim]);
      add("kNorm", "self_attn.k_norm.weight", [c.headDim]);
    }
    add("postNorm", "post_attention_layernorm.weight", [H]);
    if (c.sandwichNorms) {
      add("preFfnNorm", "pre_feedforward_layernorm.weight", [H]);
      add("postFfnNorm", "post_feedforward_layernorm.weight", [H]);
    }
    for (const key of ["gate", "up", "down"] as const) {
      add(key, `${LINEAR_MODULES[key]}.weight`, lin[key]);
      if (c.mlpBias) add(`${key}Bias`, `${LINEAR_MODULES[key]}.bias`, [lin[key][0]]);
    }
  }
  specs.push({ name: "model.norm.weight", shape: [H], slot: { key: "norm" } });
  if (!c.tieWordEmbeddings) specs.push({ name: "lm_head.weight", shape: [c.vocabSize, H], slot: { key: "lmHead" } });
  return specs;
}

/**
 * `[out, in]` of every linear module by its full path (`model.layers.3.self_attn.q_proj`): what a LoRA adapter
 * for this base must match.
 */
export function linearModuleShapes(c: ModelConfig): Map<string, [number, number]> {
  const lin = linearShapes(c);
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < c.numLayers; i++) {
    for (const key of Object.keys(LINEAR_MODULES) as LinearKey[]) out.set(`model.layers.${i}.${LINEAR_MODULES[key]}`, lin[key]);
  }
  return out;
}

/** Projections of a layer that read the same input, in the order the layer calls them (src/model/shared-input.ts). */
export const SHARED_INPUT_PROJECTIONS: ReadonlyArray<readonly LinearKey[]> = [
  ["q", "k", "v"],
  ["gate", "up"],
];

/** The module paths among `paths` that read one input, grouped (two or more each), in model order. */
export function sharedInputGroups(paths: readonly string[]): string[][] {
  const wanted = new Set(paths);
  const layers = new Set(paths.flatMap((path) => /^model\.layers\.(\d+)\./.exec(path)?.[1] ?? []).map(Number));
  const groups: string[][] = [];
  for (const layer of [...layers].sort((a, b) => a - b)) {
    for (const keys of SHARED_INPUT_PROJECTIONS) {
      const group = keys.map((key) => `model.layers.${layer}.${LINEAR_MODULES[key]}`).filter((path) => wanted.has(path));
      if (group.length >= 2) groups.push(group);
    }
  }
  return groups;
}
