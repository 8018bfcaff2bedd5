import { checkEmbedding, checkEmbeddingBackward } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { toF64 } from "./convert.js";

export function referenceEmbedding(weight: Tensor, ids: Tensor): Tensor {
  const { dim, tokens } = checkEmbedding(weight, ids);
  const w = toF64(weight);
  const out = new Float64Array(tokens * dim);
  for (let t = 0; t < tokens; t++) out.set(w.subarray(ids.data[t] * dim, (ids.data[t] + 1) * dim), t * dim);
  return new Tensor("f64", [tokens, dim], out);
}

export function referenceEmbeddingBackward(dy: Tensor, ids: Tensor, vocabSize: number): Tensor {
  const { dim, tokens } = checkEmbeddingBackward(dy, ids, vocabSize);
  const d = toF64(dy);
  const out = new Float64Array(vocabSize * dim);
  for (let t = 0; t < tokens; t++) {
    const row = ids.data[t] * dim;
    for (let j = 0; j < dim; j++) out[row + j] += d[t * dim + j];
  }
  return new Tensor("f64", [vocabSize, dim], out);
}
