import type { Model } from "../model/index.js";
import { loadModel } from "../model/index.js";
import { ConfigError } from "../util/errors.js";
import type { TrainConfig } from "./config-schema.js";

/**
 * The frozen base model of a run, as `config.model` names it. Its own small file: where a model can come from
 * (folders today; GGUF files, Ollama names and Hub ids as they land) changes here and nowhere else in train/.
 */
export function loadBaseModel(config: TrainConfig): Model {
  const model = loadModel(config.model, { dtype: config.dtype, quantization: config.quantization });
  if (config.max_seq_length > model.config.maxPositionEmbeddings) {
    throw new ConfigError(
      `max_seq_length ${config.max_seq_length} is beyond the model's context (max_position_embeddings ${model.config.maxPositionEmbeddings})`,
    );
  }
  return model;
}
