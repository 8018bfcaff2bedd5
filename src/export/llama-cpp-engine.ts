import os from "node:os";
// Types only (erased): the package itself is loaded with a dynamic import, and may be missing.
import type * as NodeLlamaCppModule from "node-llama-cpp";

/**
 * llama.cpp through node-llama-cpp, when that package is installed (it is a development dependency of loraforge,
 * optional for users): a GGUF's next-token log-probabilities and greedy continuations, with llama.cpp's default
 * context settings (what llama-cli / Ollama would run). Returns null when the package cannot be loaded.
 */
export interface GgufEngine {
  name: "llama.cpp" | "loraforge";
  /** log p(next token) after each prefix ids[0..t], for the positions asked (rows of the vocabulary). */
  logProbs(ids: readonly number[], positions: readonly number[]): Promise<Float64Array[]>;
  greedy(prompt: readonly number[], maxNewTokens: number, eosTokenIds: readonly number[]): Promise<number[]>;
  dispose(): Promise<void>;
}

type NodeLlamaCpp = typeof NodeLlamaCppModule;

/** `threads`: llama.cpp's threads (default: LORAFORGE_THREADS, else one per core). */
export async function llamaCppEngine(file: string, options: { threads?: number } = {}): Promise<GgufEngine | null> {
  let lib: NodeLlamaCpp;
  try {
    lib = (await import("node-llama-cpp")) as NodeLlamaCpp;
  } catch {
    return null;
  }
  const llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: file });
  type Token = Parameters<typeof model.detokenize>[0][number];
  // Never more threads than cores: llama.cpp's spinning workers would fight over them (on a busy machine, fewer).
  const threads = options.threads ?? (Number(process.env.LORAFORGE_THREADS) || os.availableParallelism());
  const fresh = async () => {
    const context = await model.createContext({ contextSize: 4096, threads });
    return { context, seq: context.getSequence() };
  };
  return {
    name: "llama.cpp",
    async logProbs(ids, positions) {
      const { context, seq } = await fresh();
      try {
        const want = new Set(positions);
        const res = await seq.controlledEvaluate(ids.map((id, i) => (want.has(i) ? [id as Token, { generateNext: { probabilities: true } }] : (id as Token))));
        return positions.map((p) => {
          const probs = res[p]?.next.probabilities;
          if (!probs) throw new Error(`llama.cpp returned no probabilities at position ${p}`);
          const row = new Float64Array(probs.size).fill(-Infinity);
          for (const [token, prob] of probs) row[token] = Math.log(prob);
          return row;
        });
      } finally {
        await context.dispose();
      }
    },
    async greedy(prompt, maxNewTokens, eosTokenIds) {
      const { context, seq } = await fresh();
      try {
        const eos = new Set(eosTokenIds);
        const out: number[] = [];
        for await (const token of seq.evaluate(prompt.map((id) => id as Token), { temperature: 0 })) {
          out.push(token as number);
          if (eos.has(token as number) || out.length >= maxNewTokens) break;
        }
        return out;
      } finally {
        await context.dispose();
      }
    },
    async dispose() {
      await model.dispose();
    },
  };
}
