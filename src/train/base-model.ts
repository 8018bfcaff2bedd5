import type { Model } from "../model/index.js";
import { loadModel, setComputeDtype } from "../model/index.js";
import { ConfigError } from "../util/errors.js";
import type { TrainConfig } from "./config-schema.js";
import { computeDtypeOf } from "./config-schema.js";

/**
 * The frozen base model of a run, as `config.model` names it. Its own small file: where a model can come from
 * (a folder, a GGUF file or an Ollama name; Hub ids are resolved before the session opens) changes here and nowhere else in train/.
 */
export function loadBaseModel(config: TrainConfig): Model {
  const model = loadModel(config.model, { dtype: config.dtype, quantization: config.quantization });
  setComputeDtype(model, computeDtypeOf(config));
  if (config.max_seq_length > model.config.maxPositionEmbeddings) {
    throw new ConfigError(
      `max_seq_length ${config.max_seq_length} is beyond the model's context (max_position_embeddings ${model.config.maxPositionEmbeddings})`,
    );
  }
  return model;
}
