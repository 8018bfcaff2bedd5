import { checkEmbedding, checkEmbeddingBackward } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data, weightArg } from "./common.js";

export function cpuEmbedding(weight: Tensor, ids: Tensor): Tensor {
  const { vocab, dim, tokens } = checkEmbedding(weight, ids);
  const w = weightArg("embedding", { weight, ids }, "weight");
  const out = Tensor.empty([tokens, dim]);
  if (dim > 0) nativeAddon().embedding(w.data, w.type, ids.data as Int32Array, vocab, dim, f32Data(out));
  return out;
}

export function cpuEmbeddingBackward(dy: Tensor, ids: Tensor, vocabSize: number): Tensor {
  const { dim } = checkEmbeddingBackward(dy, ids, vocabSize);
  f32("embeddingBackward", { dy });
  const dw = Tensor.zeros([vocabSize, dim]);
  if (dim > 0) nativeAddon().embeddingBackward(f32Data(dy), ids.data as Int32Array, vocabSize, dim, f32Data(dw));
  return dw;
}
