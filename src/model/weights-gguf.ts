import type { ModelLocation } from "../gguf/index.js";
import { GgufModel } from "../gguf/index.js";
import { quantScheme, quantizeTensor } from "../quant/index.js";
import { Tensor } from "../tensor/index.js";
import { InputError } from "../util/errors.js";
import type { ModelConfig } from "./config.js";
import { parseModelConfig } from "./config.js";
import type { LoadWeightsOptions, ModelFolder } from "./weights-load.js";
import type { GlobalTensors, LayerTensors } from "./weights-assemble.js";
import { LINEAR_KEYS, asHeldWeight, assembleWeights } from "./weights-assemble.js";
import type { DecoderWeights } from "./model.js";
import { weightSchema } from "./weight-schema.js";

/** The config a GGUF's metadata stands for (the same one `loraforge import` writes as config.json). */
export function readGgufModelConfig(location: Extract<ModelLocation, { kind: "gguf" }>): ModelFolder {
  const model = GgufModel.open(location.file);
  try {
    const config = parseModelConfig(model.config, location.file);
    const eosTokenIds = model.eosTokenIds.length > 0 ? model.eosTokenIds : config.eosTokenIds;
    return { location, config, eosTokenIds };
  } finally {
    model.close();
  }
}

/**
 * Reads a GGUF's weights by the config's schema: every tensor is dequantized to f32 (any ggml type loraforge
 * reads), put back in HF layout, then held as `dtype` — or, with `quantization`, the projections re-quantized
 * to 4 bits for QLoRA. So a Q4 GGUF trains against its dequantized weights, as the imported folder would.
 */
export function loadGgufWeights(file: string, config: ModelConfig, options: LoadWeightsOptions): DecoderWeights {
  const dtype = options.dtype ?? "f32";
  const scheme = options.quantization ? quantScheme(options.quantization) : undefined;
  const model = GgufModel.open(file);
  try {
    const schema = weightSchema(config);
    const expected = new Set(schema.map((s) => s.name));
    const extra = model.tensorNames().filter((n) => !expected.has(n) && !(config.tieWordEmbeddings && n === "lm_head.weight"));
    if (extra.length > 0) throw new InputError(`${extra.length} unexpected tensor(s), e.g. ${extra.slice(0, 5).join(", ")}`, { file });
    const global: GlobalTensors = {};
    const layers: LayerTensors[] = Array.from({ length: config.numLayers }, () => ({}));
    for (const spec of schema) {
      if (!model.has(spec.name)) throw new InputError(`tensor for ${spec.name} is missing`, { file });
      const shape = model.shape(spec.name);
      if (shape.join() !== spec.shape.join()) {
        throw new InputError(`tensor for ${spec.name} has shape [${shape.join(", ")}] but the metadata implies [${spec.shape.join(", ")}]`, { file });
      }
      const f32 = new Tensor("f32", shape, model.readF32(spec.name));
      const isLinear = spec.slot.layer !== undefined && LINEAR_KEYS.has(spec.slot.key);
      // The reader gives HF's tensors (a Gemma norm as w, docs/formats/gguf.md), held as a folder's would be.
      const held = asHeldWeight(config.rmsNormUnitOffset, spec.slot.key, f32);
      const t = scheme && isLinear ? quantizeTensor(held, scheme) : spec.shape.length === 1 || dtype === "f32" ? held : held.to("bf16");
      if (spec.slot.layer === undefined) global[spec.slot.key] = t as Tensor;
      else layers[spec.slot.layer][spec.slot.key] = t;
    }
    return assembleWeights(global, layers, config.hiddenAct);
  } finally {
    model.close();
  }
}
