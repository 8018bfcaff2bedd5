import type { Model } from "../../src/model/index.js";
import { forwardLogits, makeBatch } from "../../src/model/index.js";
import { llamaProbabilityRows, loadLlamaModel } from "../support/llama-cpp.js";

/*
 * llama.cpp (node-llama-cpp 3.21.1, CPU build) as the judge of the GGUF files we write: its next-token
 * distributions with an f32 KV cache and no flash attention, so an f32 model is computed in f32 throughout.
 */

export { loadLlamaModel as loadGguf };

/** log p(next | prefix) for every position of each prompt, as llama.cpp computes it (rows of vocab values). */
export async function llamaLogProbs(file: string, prompts: number[][], lora?: string): Promise<Float64Array[][]> {
  const model = await loadLlamaModel(file);
  try {
    const out: Float64Array[][] = [];
    for (const ids of prompts) {
      const rows = await llamaProbabilityRows(model, ids, ids.map((_, p) => p), { exactF32: true, loraFiles: lora ? [lora] : undefined });
      // llama.cpp normalizes in f32 (a sum over the whole vocabulary); renormalize in f64 so that only the
      // logits' differences are compared.
      out.push(rows.map((probs) => logSoftmax(probs.map(Math.log))));
    }
    return out;
  } finally {
    await model.dispose();
  }
}

/** Our forward's log-softmax rows, in float64, for the same prompts. */
export function ourLogProbs(model: Model, prompts: number[][]): Float64Array[][] {
  return prompts.map((ids) => {
    const logits = forwardLogits(model, makeBatch([{ inputIds: ids }])).data as Float32Array;
    const V = model.config.vocabSize;
    return ids.map((_, p) => logSoftmax(logits.subarray(p * V, (p + 1) * V)));
  });
}

export function logSoftmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(row, (x) => x - lse);
}

export interface Agreement {
  /** max |log p − log q| over tokens whose probability is above 1e-30 on both sides. */
  maxLogProbDiff: number;
  top1: number;
  /** mean over positions of KL(p ‖ q), p = reference. */
  meanKl: number;
  positions: number;
}

/** How close distributions q are to reference p, position by position. */
export function compare(p: Float64Array[][], q: Float64Array[][]): Agreement {
  let maxDiff = 0;
  let agree = 0;
  let kl = 0;
  let n = 0;
  for (let s = 0; s < p.length; s++) {
    for (let t = 0; t < p[s].length; t++) {
      const a = p[s][t];
      const b = q[s][t];
      if (a.length !== b.length) throw new Error(`vocabularies differ: ${a.length} vs ${b.length}`);
      let argA = 0;
      let argB = 0;
      let k = 0;
      for (let i = 0; i < a.length; i++) {
        if (a[i] > a[argA]) argA = i;
        if (b[i] > b[argB]) argB = i;
        if (a[i] > -69 && b[i] > -69) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        const pa = Math.exp(a[i]);
        if (pa > 0) k += pa * (a[i] - Math.max(b[i], -745));
      }
      if (argA === argB) agree++;
      kl += k;
      n++;
    }
  }
  return { maxLogProbDiff: maxDiff, top1: agree / n, meanKl: kl / n, positions: n };
}
