import type { HfFolder } from "../formats/index.js";
import { CheckpointReader, readHfFolder } from "../formats/index.js";
import type { Tensor } from "../tensor/index.js";
import { InputError } from "../util/errors.js";
import type { ModelConfig } from "./config.js";
import { parseModelConfig } from "./config.js";
import type { DecoderLayerWeights } from "./decoder-layer.js";
import type { DecoderWeights } from "./model.js";
import type { LayerWeightKey, WeightSpec } from "./weight-schema.js";
import { weightSchema } from "./weight-schema.js";

/** A HF model folder's parsed config and files, before any weight is read. */
export interface ModelFolder {
  folder: HfFolder;
  config: ModelConfig;
  /** Where generation stops: generation_config.json's eos list (it includes end-of-turn), else config.json's. */
  eosTokenIds: number[];
}

export function readModelFolder(dir: string): ModelFolder {
  const folder = readHfFolder(dir);
  const config = parseModelConfig(folder.config, folder.configFile);
  const eosTokenIds = folder.generationEosIds.length > 0 ? folder.generationEosIds : config.eosTokenIds;
  return { folder, config, eosTokenIds };
}

/** How the frozen weights are held in memory. Norm weights and biases are always f32 (they are tiny). */
export interface LoadWeightsOptions {
  dtype?: "f32" | "bf16";
}

/** Buffers some exports carry that the model recomputes. */
const IGNORED = /\.rotary_emb\.inv_freq$/;

/**
 * Reads the weights of a model folder by the config's schema, one tensor at a time (F32, BF16 or F16 on disk),
 * into the decoder's structure. Missing, unexpected or mis-shaped tensors are errors naming the file and tensor.
 */
export function loadWeights(dir: string, config: ModelConfig, options: LoadWeightsOptions = {}): DecoderWeights {
  const dtype = options.dtype ?? "f32";
  const schema = weightSchema(config);
  const reader = CheckpointReader.open(dir);
  try {
    checkNames(reader, schema, config);
    const global: Partial<Record<"embedTokens" | "norm" | "lmHead", Tensor>> = {};
    const layers: Array<Partial<Record<LayerWeightKey, Tensor>>> = Array.from({ length: config.numLayers }, () => ({}));
    for (const spec of schema) {
      const { file, entry } = reader.locate(spec.name);
      if (entry.shape.join() !== spec.shape.join()) {
        throw new InputError(`tensor ${spec.name} has shape [${entry.shape.join(", ")}] but config.json implies [${spec.shape.join(", ")}]`, { file });
      }
      if (entry.dtype !== "F32" && entry.dtype !== "BF16" && entry.dtype !== "F16") {
        throw new InputError(`tensor ${spec.name} is ${entry.dtype}; model weights must be F32, BF16 or F16`, { file });
      }
      const t = reader.read(spec.name, spec.shape.length === 1 ? "f32" : dtype);
      if (spec.slot.layer === undefined) global[spec.slot.key] = t;
      else layers[spec.slot.layer][spec.slot.key] = t;
    }
    const embedTokens = global.embedTokens!;
    return {
      embedTokens,
      layers: layers.map(assembleLayer),
      norm: global.norm!,
      lmHead: global.lmHead ?? embedTokens,
    };
  } finally {
    reader.close();
  }
}

/** Every schema tensor present; nothing else but ignorable buffers (and a redundant lm_head when tied). */
function checkNames(reader: CheckpointReader, schema: WeightSpec[], config: ModelConfig): void {
  const expected = new Set(schema.map((s) => s.name));
  const missing = schema.filter((s) => !reader.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    throw new InputError(
      `${missing.length} tensor(s) missing, e.g. ${missing.slice(0, 5).join(", ")}: the weights do not match config.json`,
      { file: reader.source },
    );
  }
  const extra = reader.names().filter((n) => !expected.has(n) && !IGNORED.test(n) && !(config.tieWordEmbeddings && n === "lm_head.weight"));
  if (extra.length > 0) {
    throw new InputError(
      `${extra.length} unexpected tensor(s), e.g. ${extra.slice(0, 5).join(", ")}: the weights do not match config.json (${config.architecture})`,
      { file: reader.source },
    );
  }
}

function assembleLayer(w: Partial<Record<LayerWeightKey, Tensor>>): DecoderLayerWeights {
  return {
    inputLayernorm: w.inputNorm!,
    postAttentionLayernorm: w.postNorm!,
    attention: {
      qProj: { weight: w.q!, bias: w.qBias },
      kProj: { weight: w.k!, bias: w.kBias },
      vProj: { weight: w.v!, bias: w.vBias },
      oProj: { weight: w.o!, bias: w.oBias },
      qNorm: w.qNorm,
      kNorm: w.kNorm,
    },
    mlp: {
      gateProj: { weight: w.gate!, bias: w.gateBias },
      upProj: { weight: w.up!, bias: w.upBias },
      downProj: { weight: w.down!, bias: w.downBias },
    },
  };
}
