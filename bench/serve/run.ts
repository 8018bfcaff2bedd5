// Serving benchmark (issue 13): one stream's time to first token, prompt tokens/s and decode tokens/s, then
// aggregate decode tokens/s with 1/4/16/50 concurrent streams on 1 and 8 distinct LoRA adapters, for loraforge's
// scheduler (ours.ts) beside llama.cpp through node-llama-cpp 3.21.1 (peer.ts), on the real SmolLM2-135M-Instruct.
// Each side runs in its own process, alternating per precision, with the same prompts, greedy, a fixed token count.
//   npm run bench -- serve [--threads 1] [--streams 1,4,16,50] [--dtypes f32,bf16] [--gguf FILE] [--no-peer]
// Precision: our f32 / bf16 (the GGUF dequantized on load) beside llama.cpp on the same weights exported by
// `exportGguf` as F32 / BF16; our NF4 beside llama.cpp's Q4_1 original, for reference. llama.cpp's aggregate runs
// the base alone (it has no per-request adapters); ours adds each stream's adapter.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exportGguf } from "../../src/export/index.js";
import { AGGREGATE, SINGLE } from "./workload.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const threads = option("--threads", "1");
const streams = option("--streams", "1,4,16,50");
const dtypes = option("--dtypes", "f32,bf16").split(",");
const work = path.join(os.tmpdir(), "lf-bench-serve");
const modelsDir = process.env.LORAFORGE_MODELS_DIR ?? path.join(root, ".cache", "models");
const gguf = option("--gguf", path.join(modelsDir, "SmolLM2-135M-Instruct.Q4_1.gguf"));
const withPeer = !process.argv.includes("--no-peer");
const env = { ...process.env, LORAFORGE_THREADS: threads };
if (!fs.existsSync(gguf)) throw new Error(`no model at ${gguf}: run npm run fetch-models`);

interface Row {
  side: string;
  dtype?: string;
  precision?: string;
  kind: "single" | "aggregate";
  ttft_ms?: number;
  prompt_tok_s?: number;
  decode_tok_s?: number;
  streams?: number;
  adapters?: number;
  tok_s?: number;
}

const rows: Row[] = [];
function run(args: string[], tag: Partial<Row> = {}): void {
  const out = execFileSync(process.execPath, ["--import", "tsx", ...args], { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  for (const line of out.split("\n").filter((l) => l.startsWith("{"))) {
    const row = { ...(JSON.parse(line) as Row), ...tag };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

/** The real model's weights at another precision, for llama.cpp. */
function peerFile(precision: string): string {
  if (precision === "q4_1") return gguf;
  const file = path.join(work, `SmolLM2-135M-Instruct.${precision}.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(work, { recursive: true });
    exportGguf({ model: gguf, out: file, type: precision as "f32" | "bf16" });
  }
  return file;
}

for (const dtype of [...dtypes, "nf4"]) {
  const precision = dtype === "nf4" ? "q4_1" : dtype;
  const streamList = dtype === "nf4" ? "" : streams;
  run(["bench/serve/ours.ts", gguf, dtype, streamList]);
  if (withPeer) run(["bench/serve/peer.ts", peerFile(precision), threads, streamList], { precision });
}

// The table: each of our figures beside llama.cpp's at the same precision (NF4 beside Q4_1).
const peerOf = (dtype: string) => (dtype === "nf4" ? "q4_1" : dtype);
const fmt = (x: number | undefined, digits = 1) => (x === undefined ? "—" : x.toFixed(digits));
const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}×`);
const find = (pred: (r: Row) => boolean) => rows.find(pred);
console.log(`\nsingle stream, the base (prompt ${SINGLE.promptTokens} tokens, ${SINGLE.newTokens} new), ${threads} thread(s)`);
console.log("| ours | TTFT ms | prompt tok/s | decode tok/s | llama.cpp | TTFT ms | prompt tok/s | decode tok/s | decode ours / llama.cpp |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const ours of rows.filter((r) => r.side === "loraforge" && r.kind === "single")) {
  const peer = find((r) => r.side === "llama.cpp" && r.kind === "single" && r.precision === peerOf(ours.dtype!));
  console.log(
    `| ${ours.dtype} | ${fmt(ours.ttft_ms, 0)} | ${fmt(ours.prompt_tok_s)} | ${fmt(ours.decode_tok_s)} | ${peer?.precision ?? "—"} | ${fmt(peer?.ttft_ms, 0)} | ${fmt(peer?.prompt_tok_s)} | ${fmt(peer?.decode_tok_s)} | ${ratio(ours.decode_tok_s, peer?.decode_tok_s)} |`,
  );
}
console.log(`\naggregate tokens/s (each stream: prompt ${AGGREGATE.promptTokens} tokens, ${AGGREGATE.newTokens} new; wall time from the first request to the last token), ${threads} thread(s)`);
console.log("| dtype | streams | ours, 1 adapter | ours, 8 adapters | 8 / 1 | ours N / 1 stream | llama.cpp (base) | ours 1 adapter / llama.cpp |");
console.log("|---|---|---|---|---|---|---|---|");
for (const dtype of dtypes) {
  const agg = (n: number, adapters: number) => find((r) => r.side === "loraforge" && r.dtype === dtype && r.kind === "aggregate" && r.streams === n && r.adapters === adapters);
  for (const n of streams.split(",").map(Number)) {
    const a1 = agg(n, 1);
    const a8 = agg(n, 8);
    const peer = find((r) => r.side === "llama.cpp" && r.precision === dtype && r.kind === "aggregate" && r.streams === n);
    console.log(`| ${dtype} | ${n} | ${fmt(a1?.tok_s)} | ${fmt(a8?.tok_s)} | ${ratio(a8?.tok_s, a1?.tok_s)} | ${ratio(a1?.tok_s, agg(1, 1)?.tok_s)} | ${fmt(peer?.tok_s)} | ${ratio(a1?.tok_s, peer?.tok_s)} |`);
  }
}
