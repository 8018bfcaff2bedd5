// llama.cpp itself, through node-llama-cpp's prebuilt CPU binaries: the reference every GGUF test is judged by.
import type { Llama, LlamaModel } from "node-llama-cpp";
import { getLlama } from "node-llama-cpp";

let llama: Promise<Llama> | undefined;

/** One llama.cpp runtime per test process, CPU only, never building from source. */
export function llamaCpp(): Promise<Llama> {
  llama ??= getLlama({ gpu: false, build: "never", logLevel: "error" as never });
  return llama;
}

export async function loadLlamaModel(modelPath: string, options: { vocabOnly?: boolean } = {}): Promise<LlamaModel> {
  return (await llamaCpp()).loadModel({ modelPath, vocabOnly: options.vocabOnly ?? false });
}

export interface LlamaRunOptions {
  /** GGUF LoRA adapters applied at scale 1 (llama.cpp's --lora). */
  loraFiles?: string[];
  /** An f32 KV cache and no flash attention, so an f32 model is computed in f32 throughout. */
  exactF32?: boolean;
}

/**
 * A context of one sequence. One thread: these machines are small and shared, and llama.cpp's spinning worker
 * threads slow to a crawl when other processes hold the cores.
 */
async function withSequence<T>(model: LlamaModel, tokens: number, options: LlamaRunOptions, fn: (seq: ReturnType<Awaited<ReturnType<LlamaModel["createContext"]>>["getSequence"]>) => Promise<T>): Promise<T> {
  const size = Math.max(64, tokens + 8);
  const context = await model.createContext({
    contextSize: size,
    batchSize: size,
    sequences: 1,
    threads: 1,
    lora: options.loraFiles ? { adapters: options.loraFiles.map((filePath) => ({ filePath })) } : undefined,
    ...(options.exactF32 ? { flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" } : {}),
  });
  try {
    return await fn(context.getSequence());
  } finally {
    await context.dispose();
  }
}

/**
 * llama.cpp's next-token probability distributions (softmax at temperature 1, nothing cut) after each prefix of
 * `tokens` that ends at one of `positions`, one dense row per position.
 */
export async function llamaProbabilityRows(model: LlamaModel, tokens: readonly number[], positions: readonly number[], options: LlamaRunOptions = {}): Promise<Float64Array[]> {
  return withSequence(model, tokens.length, options, async (seq) => {
    const wanted = new Set(positions);
    const next = { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } };
    const out = await seq.controlledEvaluate(tokens.map((t, i) => (wanted.has(i) ? [t, next] : t)) as never);
    const vocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    return positions.map((p) => {
      const probs = out[p]?.next?.probabilities;
      if (!probs) throw new Error(`llama.cpp returned no probabilities at position ${p}`);
      if (probs.size !== vocab) throw new Error(`llama.cpp returned ${probs.size} of ${vocab} token probabilities at position ${p}`);
      const dense = new Float64Array(vocab);
      for (const [id, prob] of probs) dense[id] = prob;
      return dense;
    });
  });
}

/** llama.cpp's next-token probability distribution after `tokens`. */
export async function llamaNextTokenProbs(model: LlamaModel, tokens: readonly number[], options: LlamaRunOptions = {}): Promise<Float64Array> {
  return (await llamaProbabilityRows(model, tokens, [tokens.length - 1], options))[0];
}

/** llama.cpp's greedy continuation of `tokens` (temperature 0), `count` tokens, stopping at none. */
export async function llamaGreedy(model: LlamaModel, tokens: readonly number[], count: number, options: LlamaRunOptions = {}): Promise<number[]> {
  return withSequence(model, tokens.length + count, options, async (seq) => {
    const out: number[] = [];
    for await (const t of seq.evaluate([...tokens] as never, { temperature: 0 })) {
      out.push(t as number);
      if (out.length >= count) break;
    }
    return out;
  });
}
