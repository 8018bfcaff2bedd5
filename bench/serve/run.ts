// Serving benchmark (issue 13): one stream's time to first token, prompt tokens/s and decode tokens/s, then
// aggregate decode tokens/s with 1/4/16/50 concurrent streams on 1 and 8 distinct LoRA adapters, for loraforge's
// scheduler (ours.ts) beside llama.cpp through node-llama-cpp 3.21.1 (peer.ts) on the smollm2-135m shape, each
// side in its own process, the same prompts, greedy, a fixed token count (no eos).
//   npm run bench -- serve [--threads 1] [--streams 1,4,16,50] [--dtypes f32,bf16] [--model DIR] [--gguf FILE]
//                          [--python PY] [--no-peer]
// Precision: llama.cpp runs the real SmolLM2-135M-Instruct GGUF rewritten as F32 and BF16 (dequantize_gguf.py,
// PyPI `gguf`) beside our f32 / bf16 on the same shapes, and its Q4_1 original beside our NF4 for reference. Our
// model is the smollm2-135m preset (init-model: same shapes, random weights) until loadModel reads GGUF; with a
// fixed token count the weights' values do not change the work.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { planInitModel, writeInitModel } from "../../src/model/index.js";

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
const python = option("--python", path.join(root, "interop", ".venv", "bin", "python"));
const env = { ...process.env, LORAFORGE_THREADS: threads };

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

function lines(args: string[]): Row[] {
  const out = execFileSync(process.execPath, ["--import", "tsx", ...args], { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Row);
}

let modelDir = option("--model", "");
if (!modelDir) {
  modelDir = path.join(work, "smollm2-135m");
  if (!fs.existsSync(path.join(modelDir, "config.json"))) writeInitModel(modelDir, planInitModel({ preset: "smollm2-135m", seed: 1 }));
}

const rows: Row[] = [];
const record = (row: Row) => {
  rows.push(row);
  console.log(JSON.stringify(row));
};
for (const dtype of dtypes) lines(["bench/serve/ours.ts", modelDir, dtype, streams, "1,8"]).forEach(record);
lines(["bench/serve/ours.ts", modelDir, "nf4"]).forEach(record);

if (!process.argv.includes("--no-peer")) {
  if (!fs.existsSync(gguf)) console.log(`peer skipped: no GGUF at ${gguf} (npm run fetch-models)`);
  else {
    const peers: Array<[string, string]> = [["q4_1", gguf]];
    if (fs.existsSync(python)) {
      for (const precision of dtypes) {
        const file = path.join(work, `smollm2-${precision}.gguf`);
        if (!fs.existsSync(file)) execFileSync(python, [path.join(root, "bench/serve/dequantize_gguf.py"), gguf, file, precision], { stdio: "inherit" });
        peers.push([precision, file]);
      }
    } else console.log(`llama.cpp at ${dtypes.join("/")} skipped: no Python with PyPI gguf at ${python} (--python PY)`);
    for (const [precision, file] of peers) {
      for (const row of lines(["bench/serve/peer.ts", file, threads, precision === "q4_1" ? "1" : streams])) record({ ...row, precision });
    }
  }
}

// The table: each of our figures beside llama.cpp's at the same precision (NF4 beside Q4_1).
const peerOf = (dtype: string) => (dtype === "nf4" ? "q4_1" : dtype);
const fmt = (x: number | undefined, digits = 1) => (x === undefined ? "—" : x.toFixed(digits));
const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}×`);
console.log(`\nsingle stream (prompt 128 tokens, 64 new), ${threads} thread(s)`);
console.log("| ours | TTFT ms | prompt tok/s | decode tok/s | llama.cpp | TTFT ms | prompt tok/s | decode tok/s | decode ours/llama.cpp |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const ours of rows.filter((r) => r.side === "loraforge" && r.kind === "single")) {
  const peer = rows.find((r) => r.side === "llama.cpp" && r.kind === "single" && r.precision === peerOf(ours.dtype!));
  console.log(
    `| ${ours.dtype} | ${fmt(ours.ttft_ms, 0)} | ${fmt(ours.prompt_tok_s)} | ${fmt(ours.decode_tok_s)} | ${peer?.precision ?? "—"} | ${fmt(peer?.ttft_ms, 0)} | ${fmt(peer?.prompt_tok_s)} | ${fmt(peer?.decode_tok_s)} | ${ratio(ours.decode_tok_s, peer?.decode_tok_s)} |`,
  );
}
console.log(`\naggregate decode tokens/s (each stream: prompt 32 tokens, 32 new), ${threads} thread(s)`);
console.log("| dtype | streams | ours, 1 adapter | ours, 8 adapters | 8 / 1 | llama.cpp (base) | ours 1 adapter / llama.cpp | ours N / ours 1 stream |");
console.log("|---|---|---|---|---|---|---|---|");
for (const dtype of dtypes) {
  const one = rows.find((r) => r.side === "loraforge" && r.dtype === dtype && r.kind === "aggregate" && r.streams === 1 && r.adapters === 1);
  for (const n of streams.split(",").map(Number)) {
    const a1 = rows.find((r) => r.side === "loraforge" && r.dtype === dtype && r.kind === "aggregate" && r.streams === n && r.adapters === 1);
    const a8 = rows.find((r) => r.side === "loraforge" && r.dtype === dtype && r.kind === "aggregate" && r.streams === n && r.adapters === 8);
    const peer = rows.find((r) => r.side === "llama.cpp" && r.precision === dtype && r.kind === "aggregate" && r.streams === n);
    console.log(`| ${dtype} | ${n} | ${fmt(a1?.tok_s)} | ${fmt(a8?.tok_s)} | ${ratio(a8?.tok_s, a1?.tok_s)} | ${fmt(peer?.tok_s)} | ${ratio(a1?.tok_s, peer?.tok_s)} | ${ratio(a1?.tok_s, one?.tok_s)} |`);
  }
}
