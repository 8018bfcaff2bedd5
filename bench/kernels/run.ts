// Kernel benchmark: causal attention forward+backward (smollm2 heads: 9 query, 3 kv, head_dim 64) at T = 512,
// 1024, 2048, in f32 and in the bf16 compute mode (beside torch under torch.autocast("cpu", bfloat16)), with ours
// bf16 against ours f32 in alternating pairs at T = 2048; and the fused linear + cross-entropy forward+backward
// with 512 tokens, D = 576, at vocabularies 49,152 and 151,936 — each beside PyTorch on the CPU from the same run
// (F.scaled_dot_product_attention; logits = h·Wᵀ then F.cross_entropy), both on 2 threads, with the ratio; and the
// loss's peak extra memory, measured in a fresh process for each side, against materializing the logits.
//
//   npm run bench -- kernels [--runs N] [--threads N] [--quick] [--isa portable|avx2] [--no-peer]
//
// Each time is the median of N timed runs (default 5) after two warm-ups. Beside the wall-clock ratio, the
// ratio of CPU time (both threads together) holds up better when other work shares the machine. The peer needs
// the virtualenv interop/.venv with torch (see the note printed when it is missing).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tensor, cpuBackend, nativeInfo, setKernelPath, setThreads } from "../../src/tensor/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const python = path.join(root, "interop", ".venv", "bin", "python");

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = Math.max(3, Number(option("--runs") ?? 5));
const threads = Number(option("--threads") ?? 2);
const quick = process.argv.includes("--quick");
const noPeer = process.argv.includes("--no-peer");
const isa = option("--isa");

const HEADS = 9;
const KV_HEADS = 3;
const HEAD_DIM = 64;
const TOKENS = 512;
const DIM = 576;

function random(shape: number[], seed: number, scale = 1): Tensor {
  const t = Tensor.zeros(shape);
  const d = t.data as Float32Array;
  let s = seed >>> 0;
  for (let i = 0; i < d.length; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = (((s >>> 8) & 0xffff) / 65536 - 0.5) * 2 * scale;
  }
  return t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e-6;
}

function timed(step: () => void): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = -2; r < runs; ++r) {
    const t0 = process.hrtime.bigint();
    const c0 = cpuSeconds();
    step();
    if (r >= 0) {
      wall.push(Number(process.hrtime.bigint() - t0) * 1e-9);
      cpu.push(cpuSeconds() - c0);
    }
  }
  return { seconds: median(wall), cpuSeconds: median(cpu) };
}

function targets(tokens: number, vocab: number): Tensor {
  const t = new Int32Array(tokens);
  for (let i = 0; i < tokens; i++) t[i] = i % 7 === 0 ? -100 : (i * 7919) % vocab;
  return new Tensor("i32", [tokens], t);
}

/** One attention fwd+bwd at length T in either compute mode, on fixed inputs. */
function attentionStep(T: number): (bf16: boolean) => void {
  const q = random([T, HEADS, HEAD_DIM], 1);
  const k = random([T, KV_HEADS, HEAD_DIM], 2);
  const v = random([T, KV_HEADS, HEAD_DIM], 3);
  const dOut = random([T, HEADS, HEAD_DIM], 4);
  const seg = new Tensor("i32", [T], new Int32Array(T));
  return (bf16) => {
    const { out, lse } = cpuBackend.attention(q, k, v, seg, undefined, undefined, { bf16 });
    cpuBackend.attentionBackward(dOut, q, k, v, out, lse, seg, undefined, undefined, { bf16 });
  };
}

function oursAttention(T: number, bf16: boolean): Timing {
  const step = attentionStep(T);
  return timed(() => step(bf16));
}

/**
 * Ours bf16 against ours f32 at length T: CPU time of one fwd+bwd in each mode, alternating in this process, so
 * that load on the machine falls on both alike; the per-pair ratios bf16 / f32 (after one warm-up pair).
 */
function oursModeRatios(T: number): number[] {
  const step = attentionStep(T);
  const cpuOf = (bf16: boolean) => {
    const c0 = cpuSeconds();
    step(bf16);
    return cpuSeconds() - c0;
  };
  const ratios: number[] = [];
  for (let r = -1; r < runs; ++r) {
    const f32 = cpuOf(false);
    const bf16 = cpuOf(true);
    if (r >= 0) ratios.push(bf16 / f32);
  }
  return ratios;
}

function lossInputs(vocab: number) {
  return { h: random([TOKENS, DIM], 5), w: random([vocab, DIM], 6, 0.05), t: targets(TOKENS, vocab) };
}

function oursLoss(vocab: number): Timing {
  const { h, w, t } = lossInputs(vocab);
  return timed(() => cpuBackend.crossEntropyLinear(h, w, t, 1 / TOKENS));
}

function statusKiB(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]);
}

/**
 * In a fresh process: peak RSS during one fused loss call minus the RSS just before it (inputs resident).
 * Writing 5 to clear_refs resets the kernel's peak-RSS mark, so earlier peaks (loading, setup) do not count.
 */
function oursLossMemory(vocab: number): number {
  const { h, w, t } = lossInputs(vocab);
  writeFileSync("/proc/self/clear_refs", "5");
  const before = statusKiB("VmRSS");
  cpuBackend.crossEntropyLinear(h, w, t, 1 / TOKENS);
  return (statusKiB("VmHWM") - before) * 1024;
}

function peerAvailable(): { ok: true } | { ok: false; reason: string } {
  if (noPeer) return { ok: false, reason: "--no-peer given" };
  if (!existsSync(python)) {
    return {
      ok: false,
      reason: "interop/.venv is missing; create it with `python3 -m venv interop/.venv && interop/.venv/bin/pip install torch==2.13.0`",
    };
  }
  return { ok: true };
}

function peer(args: (string | number)[]): Record<string, number | string> | undefined {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OMP_WAIT_POLICY: "PASSIVE" };
  const res = spawnSync(python, ["-W", "ignore", path.join(here, "peer.py"), ...args.map(String)], { env, encoding: "utf8" });
  if (res.status !== 0) {
    console.error(`PyTorch peer failed on ${args.join(" ")}: ${res.stderr || res.error}`);
    return undefined;
  }
  return JSON.parse(res.stdout.trim().split("\n").pop() ?? "{}") as Record<string, number | string>;
}

function oursInFreshProcess(vocab: number): number {
  const res = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--loss-memory", String(vocab), "--threads", String(threads), ...(isa ? ["--isa", isa] : [])], { cwd: root, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`memory probe failed: ${res.stderr}`);
  return Number(res.stdout.trim());
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const fmt = (x: number, digits = 1) => x.toFixed(digits);

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
}

const WIDTHS = [11, 8, 8, 8, 8, 7, 10];
const HEADER = row(["case", "ours s", "GFLOPS", "torch s", "GFLOPS", "ratio", "cpu ratio"], WIDTHS);

/** One table line; ratios are torch / ours (above 1: we are faster). */
function line(name: string, flops: number, ours: Timing, theirs: Record<string, number | string> | undefined): string {
  if (!theirs) return row([name, fmt(ours.seconds, 3), fmt(flops / ours.seconds / 1e9), "-", "-", "-", "-"], WIDTHS);
  const ts = Number(theirs.seconds);
  const tc = Number(theirs.cpu_seconds);
  return row(
    [name, fmt(ours.seconds, 3), fmt(flops / ours.seconds / 1e9), fmt(ts, 3), fmt(flops / ts / 1e9), `${fmt(ts / ours.seconds, 2)}x`, `${fmt(tc / ours.cpuSeconds, 2)}x`],
    WIDTHS,
  );
}

function main(): void {
  if (isa) setKernelPath(isa);
  setThreads(threads);
  const memoryProbe = option("--loss-memory");
  if (memoryProbe) {
    console.log(oursLossMemory(Number(memoryProbe)));
    return;
  }
  const info = nativeInfo();
  const peerState = peerAvailable();
  console.log(`loraforge ${info.isa}, ${info.threads} threads; median of ${runs} runs after 2 warm-ups`);
  // Other work on the machine skews both sides; the load says how much to trust this run.
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at start`);
  if (!peerState.ok) console.log(`note: PyTorch peer skipped: ${peerState.reason}`);

  // Attention FLOPs, causal (half the T² score matrix): forward 2 products of 2·T²·hd / 2 per head; backward
  // counted as 2.5× forward (its five products), the convention of the FlashAttention papers.
  console.log("\nattention fwd+bwd (9 q heads, 3 kv heads, head_dim 64, causal; ratios = torch / ours)");
  console.log("bf16 rows: ours in the bf16 compute mode, torch's sdpa under torch.autocast(\"cpu\", bfloat16)");
  console.log(HEADER);
  for (const T of quick ? [512] : [512, 1024, 2048]) {
    const flops = (3.5 * 2 * (2 * T * T * HEAD_DIM) * HEADS) / 2;
    for (const bf16 of [false, true]) {
      const ours = oursAttention(T, bf16);
      const theirs = peerState.ok ? peer([bf16 ? "attention-bf16" : "attention", T, HEADS, KV_HEADS, HEAD_DIM, runs]) : undefined;
      console.log(line(`T=${T}${bf16 ? " bf16" : ""}`, flops, ours, theirs));
      if (bf16 && theirs && theirs.out_dtype !== "torch.bfloat16") console.log(`  note: torch's sdpa ran in ${theirs.out_dtype} under autocast`);
    }
  }

  const abT = quick ? 512 : 2048;
  const ratios = oursModeRatios(abT);
  console.log(`ours bf16 / ours f32 at T=${abT}, CPU time of fwd+bwd, ${runs} alternating pairs: median ${fmt(median(ratios), 2)} (${ratios.map((r) => fmt(r, 2)).join(", ")})`);

  // Loss FLOPs: logits h·Wᵀ and dh = P·W, 2·T·V·D each (W frozen: no dW on either side).
  console.log(`\nfused linear + cross-entropy fwd+bwd (T=${TOKENS}, D=${DIM}, f32 W; ratios = torch / ours)`);
  console.log(HEADER);
  const vocabs = quick ? [49152] : [49152, 151936];
  for (const V of vocabs) {
    const theirs = peerState.ok ? peer(["loss", TOKENS, DIM, V, runs]) : undefined;
    console.log(line(`V=${V}`, 4 * TOKENS * V * DIM, oursLoss(V), theirs));
  }

  console.log("\nfused loss peak extra memory (peak RSS during one fwd+bwd minus RSS before it, fresh process each)");
  const mw = [10, 10, 10, 18];
  console.log(row(["case", "ours", "torch", "logits [T,V] f32"], mw));
  for (const V of vocabs) {
    const ours = oursInFreshProcess(V);
    const theirs = peerState.ok ? peer(["loss-memory", TOKENS, DIM, V]) : undefined;
    console.log(row([`V=${V}`, mb(ours), theirs ? mb(Number(theirs.peak_extra_bytes)) : "-", mb(TOKENS * V * 4)], mw));
  }
  if (peerState.ok) {
    const v = peer(["loss-memory", 1, 1, 2]);
    if (v) console.log(`\npeer: torch ${v.torch}, ${v.threads} threads, OMP_WAIT_POLICY=PASSIVE`);
  }
}

main();
