// The peer of bench/serve: llama.cpp (node-llama-cpp 3.21.1, its prebuilt CPU binaries) on a GGUF, the same
// workload as ours.ts: one stream's time to first token, prompt and decode tokens/s, then aggregate decode tokens/s
// with several streams in one context (llama.cpp batches their sequences together). Greedy; end-of-generation
// tokens are banned so every stream generates exactly its token count.
//   node --import tsx bench/serve/peer.ts MODEL.gguf THREADS [STREAMS,…] → one JSON line per measurement
import { getLlama } from "node-llama-cpp";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { TokenBias } from "node-llama-cpp";
import { AGGREGATE, SINGLE, promptIds } from "./workload.js";

const [modelPath, threadsArg, streamsArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const llama = await getLlama({ gpu: false });
const model = await llama.loadModel({ modelPath });
const noEnd = new TokenBias(model.tokenizer);
for (const token of [model.tokens.eos, model.tokens.eot].filter((t): t is Token => t !== null)) noEnd.set(token, "never");

/** Feeds the prompt, then takes `count` greedy tokens; returns the time of each token. */
async function run(sequence: LlamaContextSequence, prompt: number[], count: number): Promise<number[]> {
  const times: number[] = [];
  for await (const _ of sequence.evaluate(prompt as Token[], { temperature: 0, tokenBias: noEnd })) {
    times.push(performance.now());
    if (times.length === count) break;
  }
  return times;
}

{
  const context = await model.createContext({ contextSize: 1024, sequences: 1, threads, batchSize: 512 });
  const prompt = promptIds(SINGLE.promptTokens, 1);
  const sequence = context.getSequence();
  const start = performance.now();
  const times = await run(sequence, prompt, SINGLE.newTokens);
  const ttft = times[0] - start;
  console.log(JSON.stringify({ side: "llama.cpp", kind: "single", ttft_ms: ttft, prompt_tok_s: (SINGLE.promptTokens / ttft) * 1000, decode_tok_s: ((times.length - 1) / (times.at(-1)! - times[0])) * 1000 }));
  await context.dispose();
}

for (const streams of streamsArg ? streamsArg.split(",").map(Number) : []) {
  const context = await model.createContext({ contextSize: streams * (AGGREGATE.promptTokens + AGGREGATE.newTokens + 8), sequences: streams, threads, batchSize: 512 });
  const start = performance.now();
  const all = await Promise.all(
    Array.from({ length: streams }, (_, i) => run(context.getSequence(), promptIds(AGGREGATE.promptTokens, 100 + i), AGGREGATE.newTokens)),
  );
  const seconds = (performance.now() - start) / 1000;
  const tokens = all.reduce((n, t) => n + t.length, 0);
  console.log(JSON.stringify({ side: "llama.cpp", kind: "aggregate", streams, adapters: 0, tokens, seconds, tok_s: tokens / seconds }));
  await context.dispose();
}
await model.dispose();
