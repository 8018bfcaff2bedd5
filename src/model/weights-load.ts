import { CheckpointReader, readHfFolder } from "../formats/index.js";
import type { ModelLocation } from "../gguf/index.js";
import { locateModel } from "../gguf/index.js";
import type { CheckpointTensors, QuantizationName } from "../quant/index.js";
import { bnbCompanionNames, bnbStateName, checkpointTensors, quantScheme, quantizeTensor, readBnb4bit } from "../quant/index.js";
import { InputError } from "../util/errors.js";
import type { ModelConfig } from "./config.js";
import { parseModelConfig } from "./config.js";
import type { DecoderWeights } from "./model.js";
import type { WeightSpec } from "./weight-schema.js";
import { weightSchema } from "./weight-schema.js";
import type { GlobalTensors, LayerTensors } from "./weights-assemble.js";
import { LINEAR_KEYS, asHeldWeight, assembleWeights } from "./weights-assemble.js";
import { loadGgufWeights, readGgufModelConfig } from "./weights-gguf.js";

/** A model's parsed config, before any weight is read. */
export interface ModelFolder {
  location: ModelLocation;
  config: ModelConfig;
  /** Where generation stops: generation_config.json's eos list (it includes end-of-turn), else config.json's. */
  eosTokenIds: number[];
}

/**
 * Reads the config of a model reference: a Hugging Face folder, a .gguf file or `ollama:NAME` (a GGUF's
 * metadata stands for its config.json; see src/gguf).
 */
export function readModelFolder(spec: string): ModelFolder {
  const location = locateModel(spec);
  if (location.kind === "gguf") return readGgufModelConfig(location);
  const folder = readHfFolder(location.dir);
  const config = parseModelConfig(folder.config, folder.configFile);
  const eosTokenIds = folder.generationEosIds.length > 0 ? folder.generationEosIds : config.eosTokenIds;
  return { location, config, eosTokenIds };
}

/** How the frozen weights are held in memory. Norm weights and biases are always f32 (they are tiny). */
export interface LoadWeightsOptions {
  dtype?: "f32" | "bf16";
  /**
   * Quantize the attention and MLP projections to 4 bits while loading (bitsandbytes scheme), tensor by tensor;
   * embeddings, lm_head and norms stay in `dtype`. Weights stored pre-quantized (a bitsandbytes 4-bit checkpoint)
   * are loaded in their 4-bit form whatever this says.
   */
  quantization?: QuantizationName;
}


/** Buffers some exports carry that the model recomputes. */
const IGNORED = /\.rotary_emb\.inv_freq$/;

/**
 * Reads the weights of a model folder by the config's schema, one tensor at a time (F32, BF16 or F16 on disk),
 * into the decoder's structure. Missing, unexpected or mis-shaped tensors are errors naming the file and tensor.
 */
export function loadWeights(spec: string, config: ModelConfig, options: LoadWeightsOptions = {}): DecoderWeights {
  const location = locateModel(spec);
  if (location.kind === "gguf") return loadGgufWeights(location.file, config, options);
  const dir = location.dir;
  const dtype = options.dtype ?? "f32";
  const scheme = options.quantization ? quantScheme(options.quantization) : undefined;
  const schema = weightSchema(config);
  const reader = CheckpointReader.open(dir);
  const raw = checkpointTensors(reader);
  try {
    checkNames(reader, schema, config, raw);
    const global: GlobalTensors = {};
    const layers: LayerTensors[] = Array.from({ length: config.numLayers }, () => ({}));
    for (const spec of schema) {
      if (spec.slot.layer !== undefined && LINEAR_KEYS.has(spec.slot.key) && bnbStateName(raw, spec.name)) {
        layers[spec.slot.layer][spec.slot.key] = readBnb4bit(raw, spec.name, spec.shape);
        continue;
      }
      const { file, entry } = reader.locate(spec.name);
      if (entry.shape.join() !== spec.shape.join()) {
        throw new InputError(`tensor ${spec.name} has shape [${entry.shape.join(", ")}] but config.json implies [${spec.shape.join(", ")}]`, { file });
      }
      if (entry.dtype !== "F32" && entry.dtype !== "BF16" && entry.dtype !== "F16") {
        throw new InputError(`tensor ${spec.name} is ${entry.dtype}; model weights must be F32, BF16 or F16`, { file });
      }
      if (scheme && spec.slot.layer !== undefined && LINEAR_KEYS.has(spec.slot.key)) {
        // One tensor in its stored precision at a time, quantized and dropped.
        const source = reader.read(spec.name, entry.dtype === "F32" ? "f32" : entry.dtype === "F16" ? "f16" : "bf16");
        layers[spec.slot.layer][spec.slot.key] = quantizeTensor(source, scheme);
        continue;
      }
      const stored = reader.read(spec.name, spec.shape.length === 1 ? "f32" : dtype);
      const t = asHeldWeight(config.rmsNormUnitOffset, spec.slot.key, stored);
      if (spec.slot.layer === undefined) global[spec.slot.key] = t;
      else layers[spec.slot.layer][spec.slot.key] = t;
    }
    return assembleWeights(global, layers, config.hiddenAct);
  } finally {
    raw.close();
    reader.close();
  }
}

/**
 * Every schema tensor present; nothing else but ignorable buffers (and a redundant lm_head when tied), and the
 * companions (absmax, quant_map, quant_state, ...) of projections stored in bitsandbytes 4-bit form.
 */
function checkNames(reader: CheckpointReader, schema: WeightSpec[], config: ModelConfig, raw: CheckpointTensors): void {
  const expected = new Set(schema.map((s) => s.name));
  for (const s of schema) if (s.slot.layer !== undefined && LINEAR_KEYS.has(s.slot.key) && bnbStateName(raw, s.name)) bnbCompanionNames(s.name).forEach((n) => expected.add(n));
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

