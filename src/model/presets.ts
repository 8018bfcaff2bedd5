import { ConfigError } from "../util/errors.js";
import type { Architecture, ModelConfig } from "./config.js";
import { MODEL_TYPES } from "./config.js";
import { gemma3PatternLayers } from "./config-gemma3.js";

/** Real shapes of small public models, for random-initialized fixtures (`loraforge init-model`). */
export const PRESET_NAMES = ["tiny", "smollm2-135m", "qwen2.5-0.5b", "llama3.2-1b", "gemma3-270m", "gemma3-1b"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** --arch spellings: the config.json model_type of each architecture. */
export const ARCH_BY_NAME: Record<string, Architecture> = {
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen3: "Qwen3ForCausalLM",
  gemma3: "Gemma3ForCausalLM",
};

const PRESETS: Record<PresetName, ModelConfig> = {
  tiny: base("LlamaForCausalLM", {
    vocabSize: 32000,
    hiddenSize: 256,
    intermediateSize: 688,
    numLayers: 4,
    numHeads: 8,
    numKvHeads: 4,
    headDim: 32,
    maxPositionEmbeddings: 2048,
    bosTokenId: 1,
    eosTokenIds: [2],
  }),
  "smollm2-135m": base("LlamaForCausalLM", {
    vocabSize: 49152,
    hiddenSize: 576,
    intermediateSize: 1536,
    numLayers: 30,
    numHeads: 9,
    numKvHeads: 3,
    headDim: 64,
    ropeTheta: 100000,
    rmsNormEps: 1e-5,
    maxPositionEmbeddings: 8192,
    tieWordEmbeddings: true,
    bosTokenId: 1,
    eosTokenIds: [2],
  }),
  "qwen2.5-0.5b": base("Qwen2ForCausalLM", {
    vocabSize: 151936,
    hiddenSize: 896,
    intermediateSize: 4864,
    numLayers: 24,
    numHeads: 14,
    numKvHeads: 2,
    headDim: 64,
    ropeTheta: 1000000,
    rmsNormEps: 1e-6,
    maxPositionEmbeddings: 32768,
    tieWordEmbeddings: true,
    qkvBias: true,
    bosTokenId: 151643,
    eosTokenIds: [151643],
  }),
  "llama3.2-1b": base("LlamaForCausalLM", {
    vocabSize: 128256,
    hiddenSize: 2048,
    intermediateSize: 8192,
    numLayers: 16,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 64,
    ropeTheta: 500000,
    ropeScaling: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
    rmsNormEps: 1e-5,
    maxPositionEmbeddings: 131072,
    tieWordEmbeddings: true,
    bosTokenId: 128000,
    eosTokenIds: [128001],
  }),
  // google/gemma-3-270m and google/gemma-3-1b-pt config.json (sources: docs/models/gemma3.md).
  "gemma3-270m": base("Gemma3ForCausalLM", {
    vocabSize: 262144,
    hiddenSize: 640,
    intermediateSize: 2048,
    numLayers: 18,
    numHeads: 4,
    numKvHeads: 1,
    headDim: 256,
    ropeTheta: 1e6,
    ropeLocalTheta: 1e4,
    rmsNormEps: 1e-6,
    maxPositionEmbeddings: 32768,
    slidingWindow: { size: 512, layers: gemma3PatternLayers(18) },
    queryPreAttnScalar: 256,
    bosTokenId: 2,
    eosTokenIds: [1],
    padTokenId: 0,
  }),
  "gemma3-1b": base("Gemma3ForCausalLM", {
    vocabSize: 262144,
    hiddenSize: 1152,
    intermediateSize: 6912,
    numLayers: 26,
    numHeads: 4,
    numKvHeads: 1,
    headDim: 256,
    ropeTheta: 1e6,
    ropeLocalTheta: 1e4,
    rmsNormEps: 1e-6,
    maxPositionEmbeddings: 32768,
    slidingWindow: { size: 512, layers: gemma3PatternLayers(26) },
    queryPreAttnScalar: 256,
    bosTokenId: 2,
    eosTokenIds: [1],
    padTokenId: 0,
  }),
};

function base(architecture: Architecture, shape: Partial<ModelConfig>): ModelConfig {
  return {
    architecture,
    modelType: MODEL_TYPES[architecture],
    vocabSize: 32000,
    hiddenSize: 256,
    intermediateSize: 688,
    numLayers: 4,
    numHeads: 8,
    numKvHeads: 8,
    headDim: 32,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    maxPositionEmbeddings: 2048,
    slidingWindow: null,
    bosTokenId: null,
    eosTokenIds: [],
    padTokenId: null,
    torchDtype: "bfloat16",
    ...architectureTraits(architecture, shape.headDim ?? 32),
    ...shape,
  };
}

/**
 * What an architecture fixes beyond the shapes: biases and q/k norm (Qwen2 has q/k/v bias, Qwen3 q/k norm, Llama
 * and Mistral neither), and Gemma 3's GeGLU, (1 + w) norms, sandwich norms, embedding scale and rope bases.
 */
type Traits = Pick<
  ModelConfig,
  | "qkvBias"
  | "oBias"
  | "qkNorm"
  | "mlpBias"
  | "hiddenAct"
  | "scaleEmbeddings"
  | "rmsNormUnitOffset"
  | "sandwichNorms"
  | "queryPreAttnScalar"
  | "ropeLocalTheta"
  | "tieWordEmbeddings"
>;

function architectureTraits(architecture: Architecture, headDim: number): Traits {
  const modelType = MODEL_TYPES[architecture];
  const gemma = modelType === "gemma3_text";
  return {
    qkvBias: modelType === "qwen2",
    oBias: false,
    qkNorm: modelType === "qwen3" || gemma,
    mlpBias: false,
    hiddenAct: gemma ? "gelu_pytorch_tanh" : "silu",
    scaleEmbeddings: gemma,
    rmsNormUnitOffset: gemma,
    sandwichNorms: gemma,
    queryPreAttnScalar: gemma ? headDim : null,
    ropeLocalTheta: gemma ? 10000 : null,
    tieWordEmbeddings: gemma,
  };
}

/**
 * The config of a preset, optionally as another architecture with the same shapes (biases, norms and activation
 * follow the architecture; a sliding window is kept only by Gemma, the one architecture whose presets set it).
 */
export function presetConfig(name: string, arch?: string): ModelConfig {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown preset ${JSON.stringify(name)}`, { hint: `presets: ${PRESET_NAMES.join(", ")}` });
  }
  const preset = PRESETS[name as PresetName];
  if (arch === undefined) return structuredClone(preset);
  const architecture = ARCH_BY_NAME[arch];
  if (!architecture) {
    throw new ConfigError(`unknown --arch ${JSON.stringify(arch)}`, { hint: `architectures: ${Object.keys(ARCH_BY_NAME).join(", ")}` });
  }
  const traits = architectureTraits(architecture, preset.headDim);
  return {
    ...structuredClone(preset),
    architecture,
    modelType: MODEL_TYPES[architecture],
    ...traits,
    tieWordEmbeddings: traits.tieWordEmbeddings || preset.tieWordEmbeddings,
    slidingWindow: traits.sandwichNorms ? structuredClone(preset.slidingWindow) : null,
  };
}
