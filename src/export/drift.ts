import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { attachAdapter, loadAdapter } from "../lora/index.js";
import type { Model } from "../model/index.js";
import { forwardLogits, generate, loadModel, makeBatch } from "../model/index.js";
import { loadTokenizer } from "../tokenizer/index.js";
import type { TrainRecord } from "../train/index.js";
import { isPreparedFolder, readPreparedFile } from "../data/index.js";
import { InputError } from "../util/errors.js";
import { openBaseModel } from "./base-model.js";
import type { GgufEngine } from "./llama-cpp-engine.js";
import { llamaCppEngine } from "./llama-cpp-engine.js";
import type { MergeAdapterOptions } from "./merge-adapter.js";
import { readMergeAdapter } from "./merge-adapter.js";
import type { MergeDtype } from "./merge-folder.js";
import { mergeToFolder } from "./merge-folder.js";

/**
 * Drift of a fine-tune on its way to shipping: adapter-on-base (the reference, as trained — a QLoRA adapter on
 * its 4-bit base) → the merged model stored as bf16/f16 → the GGUF at its type. On the user's validation records
 * (a `data prepare` folder's val.jsonl): validation loss of each, and against the reference the top-1 agreement
 * and mean KL of the next-token distributions at the trained positions; and a few greedy generations side by side.
 */
export interface DriftOptions {
  model: string;
  adapter: string;
  adapterOptions?: MergeAdapterOptions;
  /** The exported GGUF (adapter merged in). */
  gguf: string;
  /** A `data prepare` folder (its val.jsonl) or a prepared .jsonl file. */
  data: string;
  mergedDtype?: MergeDtype;
  /** At most this many records (default 32). */
  maxRecords?: number;
  /** Side-by-side generations (default 3), up to `maxNewTokens` (default 32) each. */
  generations?: number;
  maxNewTokens?: number;
  /** "auto": llama.cpp when node-llama-cpp is installed, else our forward on the dequantized GGUF. */
  engine?: "auto" | "loraforge";
  /** llama.cpp's threads (default: LORAFORGE_THREADS, else one per core). */
  ggufThreads?: number;
}

export interface StageDrift {
  stage: string;
  loss: number;
  /** null for the reference itself. */
  top1: number | null;
  meanKl: number | null;
}

export interface DriftReport {
  records: number;
  positions: number;
  /** Which engine ran the GGUF. */
  ggufEngine: "llama.cpp" | "loraforge";
  stages: StageDrift[];
  generations: Array<{ prompt: string; outputs: string[] }>;
}

export async function driftReport(options: DriftOptions): Promise<DriftReport> {
  const records = await readRecords(options);
  const mergedDtype = options.mergedDtype ?? "bf16";
  const base = openBaseModel(options.model);
  const adapterInfo = (() => {
    try {
      return readMergeAdapter(options.adapter, base, options.adapterOptions);
    } finally {
      base.close();
    }
  })();
  const reference = loadModel(options.model, { quantization: adapterInfo.quantization ?? undefined });
  attachAdapter(reference, loadAdapter(reference, options.adapter));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-drift-"));
  let merged: Model;
  try {
    mergeToFolder({ model: options.model, adapter: options.adapter, adapterOptions: options.adapterOptions, out: path.join(tmp, "merged"), dtype: mergedDtype });
    merged = loadModel(path.join(tmp, "merged"), { dtype: mergedDtype === "bf16" ? "bf16" : "f32" });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const engine = (options.engine !== "loraforge" ? await llamaCppEngine(options.gguf, { threads: options.ggufThreads }) : null) ?? ourEngine(options.gguf);
  try {
    const acc = [newAcc(), newAcc(), newAcc()];
    let positions = 0;
    for (const r of records) {
      const ids = Array.from(r.inputIds);
      const pos: number[] = [];
      for (let t = 0; t + 1 < ids.length; t++) if (r.labels[t + 1] !== -100) pos.push(t);
      if (pos.length === 0) continue;
      const rows = [ourRows(reference, ids, pos), ourRows(merged, ids, pos), await engine.logProbs(ids, pos)];
      pos.forEach((t, k) => {
        const label = r.labels[t + 1];
        rows.forEach((stage, s) => accumulate(acc[s], rows[0][k], stage[k], label));
      });
      positions += pos.length;
    }
    const names = ["adapter on base" + (adapterInfo.quantization ? ` (${adapterInfo.quantization})` : ""), `merged ${mergedDtype}`, `GGUF ${path.basename(options.gguf)} (${engine.name})`];
    const stages = acc.map((a, s) => ({ stage: names[s], loss: a.nll / a.n, top1: s === 0 ? null : a.agree / a.n, meanKl: s === 0 ? null : a.kl / a.n }));
    const tok = loadTokenizer(options.model);
    const eos = reference.eosTokenIds;
    const generations: DriftReport["generations"] = [];
    for (const r of records.slice(0, options.generations ?? 3)) {
      const first = r.labels.findIndex((l, i) => i > 0 && l !== -100);
      if (first < 1) continue;
      const prompt = Array.from(r.inputIds.slice(0, first));
      const n = options.maxNewTokens ?? 32;
      const outs = [
        generate(reference, prompt, { maxNewTokens: n, eosTokenIds: eos }).tokens,
        generate(merged, prompt, { maxNewTokens: n, eosTokenIds: eos }).tokens,
        await engine.greedy(prompt, n, eos),
      ];
      generations.push({ prompt: tok.decode(prompt), outputs: outs.map((o) => tok.decode(o.filter((id) => !eos.includes(id)))) });
    }
    return { records: records.length, positions, ggufEngine: engine.name, stages, generations };
  } finally {
    await engine.dispose();
  }
}

async function readRecords(options: DriftOptions): Promise<TrainRecord[]> {
  const file = isPreparedFolder(options.data) ? path.join(options.data, "val.jsonl") : options.data;
  const vocab = openBaseModel(options.model);
  const vocabSize = vocab.config.vocabSize;
  vocab.close();
  const records = (await readPreparedFile(file, vocabSize)).slice(0, options.maxRecords ?? 32);
  if (records.length === 0) {
    throw new InputError("no validation records", { file }, { hint: "prepare data with a validation split (`loraforge data prepare … --val-fraction 0.05`)" });
  }
  return records;
}

function ourRows(model: Model, ids: number[], positions: number[]): Float64Array[] {
  const logits = forwardLogits(model, makeBatch([{ inputIds: ids }])).data as Float32Array;
  const V = model.config.vocabSize;
  return positions.map((t) => logSoftmax(logits.subarray(t * V, (t + 1) * V)));
}

/** Our forward on the GGUF's dequantized weights, when llama.cpp is not installed. */
function ourEngine(file: string): GgufEngine {
  const model = loadModel(file);
  return {
    name: "loraforge",
    logProbs: async (ids, positions) => ourRows(model, [...ids], [...positions]),
    greedy: async (prompt, n, eos) => generate(model, prompt, { maxNewTokens: n, eosTokenIds: eos }).tokens,
    dispose: async () => {},
  };
}

function logSoftmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(row, (x) => x - lse);
}

interface Acc {
  nll: number;
  agree: number;
  kl: number;
  n: number;
}

const newAcc = (): Acc => ({ nll: 0, agree: 0, kl: 0, n: 0 });

/** One position: −log q(label), whether argmax p = argmax q, and KL(p ‖ q) with both renormalized in f64. */
function accumulate(acc: Acc, p: Float64Array, qRaw: Float64Array, label: number): void {
  const q = qRaw === p ? p : logSoftmax(qRaw);
  let argP = 0;
  let argQ = 0;
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > p[argP]) argP = i;
    if (q[i] > q[argQ]) argQ = i;
    const pi = Math.exp(p[i]);
    if (pi > 0) kl += pi * (p[i] - Math.max(q[i], -745));
  }
  acc.nll -= q[label];
  acc.agree += argP === argQ ? 1 : 0;
  acc.kl += kl;
  acc.n++;
}

/** The report as text: a table of the stages and the generations side by side. */
export function formatDrift(r: DriftReport): string {
  const lines = [`drift on ${r.records} validation records (${r.positions} trained positions); the GGUF ran on ${r.ggufEngine === "llama.cpp" ? "llama.cpp (node-llama-cpp)" : "loraforge's own forward on its dequantized weights (node-llama-cpp is not installed)"}`];
  lines.push("", "| stage | val loss | top-1 vs adapter | mean KL vs adapter |", "|---|---|---|---|");
  for (const s of r.stages) {
    lines.push(`| ${s.stage} | ${s.loss.toFixed(4)} | ${s.top1 === null ? "—" : (100 * s.top1).toFixed(1) + "%"} | ${s.meanKl === null ? "—" : s.meanKl.toExponential(2)} |`);
  }
  for (const g of r.generations) {
    lines.push("", `prompt: ${JSON.stringify(g.prompt.slice(-200))}`);
    r.stages.forEach((s, i) => lines.push(`  ${s.stage}: ${JSON.stringify(g.outputs[i])}`));
  }
  return lines.join("\n");
}
