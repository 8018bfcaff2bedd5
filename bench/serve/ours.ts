// Our side of bench/serve: the server's scheduler (continuous batching over forwardSequences) on a model (HF
// folder or GGUF), without HTTP, the same workload as peer.ts: one stream's time to first token, prompt and decode
// tokens/s, then aggregate decode tokens/s with several concurrent streams on 1 and on 8 distinct adapters (rank
// 16, all linear projections, random A and B), the two back to back for each stream count. Greedy; no eos, so every
// stream generates exactly its token count.
//   node --import tsx bench/serve/ours.ts MODEL f32|bf16|nf4 [STREAMS,…] → one JSON line per measurement
import { buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import type { LinearAdapter } from "../../src/model/index.js";
import { loadModel } from "../../src/model/index.js";
import { Scheduler } from "../../src/serve/index.js";
import { AGGREGATE, SINGLE, promptIds } from "./workload.js";

const [dir, dtype, streamsArg] = process.argv.slice(2);
const quantized = dtype === "nf4";
const model = loadModel(dir, { dtype: quantized ? "bf16" : (dtype as "f32" | "bf16"), ...(quantized ? { quantization: "nf4" as const } : {}) });
const adapters: Array<ReadonlyMap<string, LinearAdapter>> = Array.from({ length: 8 }, (_, i) =>
  buildLoraAdapter(model, loraConfig({ r: 16, loraAlpha: 32, targetModules: "all-linear", initLoraWeights: false }), { seed: i }).modules,
);

/** Runs one stream through the scheduler; resolves with the time of each new token. */
function stream(scheduler: Scheduler, prompt: number[], count: number, adapter: ReadonlyMap<string, LinearAdapter>): Promise<number[]> {
  const times: number[] = [];
  const handle = scheduler.submit({
    promptIds: prompt,
    adapters: adapter,
    options: { temperature: 0, maxNewTokens: count, eosTokenIds: [], decode: () => "" },
    onToken: () => times.push(performance.now()),
  });
  return handle.done.then(() => times);
}

const context = SINGLE.promptTokens + SINGLE.newTokens + 8;
{
  const scheduler = new Scheduler(model, { maxBatch: 64, maxQueue: 64, prefillChunk: 512 }, context);
  await stream(scheduler, promptIds(16, 7), 4, adapters[0]); // warm-up (the base alone is measured)
  const start = performance.now();
  const times = await stream(scheduler, promptIds(SINGLE.promptTokens, 1), SINGLE.newTokens, new Map());
  const ttft = times[0] - start;
  console.log(JSON.stringify({ side: "loraforge", dtype, kind: "single", ttft_ms: ttft, prompt_tok_s: (SINGLE.promptTokens / ttft) * 1000, decode_tok_s: ((times.length - 1) / (times.at(-1)! - times[0])) * 1000 }));
}

for (const streams of streamsArg ? streamsArg.split(",").map(Number) : []) {
  for (const adapterCount of [1, 8]) {
    const scheduler = new Scheduler(model, { maxBatch: 64, maxQueue: 64, prefillChunk: 512 }, context);
    const start = performance.now();
    const all = await Promise.all(
      Array.from({ length: streams }, (_, i) => stream(scheduler, promptIds(AGGREGATE.promptTokens, 100 + i), AGGREGATE.newTokens, adapters[i % adapterCount])),
    );
    const seconds = (performance.now() - start) / 1000;
    const tokens = all.reduce((n, t) => n + t.length, 0);
    console.log(JSON.stringify({ side: "loraforge", dtype, kind: "aggregate", streams, adapters: adapterCount, tokens, seconds, tok_s: tokens / seconds }));
  }
}
