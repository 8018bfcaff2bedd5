// GEMM benchmark: GFLOPS of the three forms of a linear layer at the shapes of a LoRA step on the smollm2-135m
// shape (hidden 576, MLP 1536, vocabulary 49152) with 512 tokens, plus square 1024 and 2048, with f32 and bf16
// weights, and in the bf16 compute mode (both operands rounded to bf16, f32 sums; VDPBF16PS on the avx512 path),
// and decode steps (M = 1 and 4 rows: the small-M path), beside OpenBLAS's cblas_sgemm and PyTorch's torch.mm
// (MKL / oneDNN; f32, and bf16 beside our bf16 compute mode) measured in the same run (see bench/README.md).
//
//   npm run bench -- gemm [--runs N] [--threads N] [--only TEXT] [--quick] [--isa portable|avx2|avx512] [--no-peer]
//
// Each figure is the median of N timed runs (default 9, at least 7) after two warm-up runs; ours and the peers
// alternate in three rounds per case.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nativeAddon } from "../../src/tensor/cpu/addon.js";
import { f32ToBf16, nativeInfo, setKernelPath, setThreads } from "../../src/tensor/index.js";

type Form = "y" | "dx" | "dw";
interface Case {
  group: string;
  form: Form;
  m: number;
  n: number;
  k: number;
}

const FORM_NAME: Record<Form, string> = { y: "Y=X·Wᵀ", dx: "dX=dY·W", dw: "dW=dYᵀ·X" };

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = Math.max(7, Number(option("--runs") ?? 9));
const threads = Number(option("--threads") ?? 2);
const only = option("--only");
const quick = process.argv.includes("--quick");
const noPeer = process.argv.includes("--no-peer");
const isa = option("--isa");

// A linear layer y = x·Wᵀ with x [T, in] and W [out, in] needs, in GEMM terms (C[m,n] = op(A)[m,k]·op(B)[k,n]):
//   Y  = X·Wᵀ  : m = T,   n = out, k = in   (B = W stored [out, in], transposed)
//   dX = dY·W  : m = T,   n = in,  k = out  (B = W stored [out, in])
//   dW = dYᵀ·X : m = out, n = in,  k = T    (A = dY stored [T, out], transposed; B = X)
function layer(group: string, tokens: number, inF: number, outF: number): Case[] {
  return [
    { group, form: "y", m: tokens, n: outF, k: inF },
    { group, form: "dx", m: tokens, n: inF, k: outF },
    { group, form: "dw", m: outF, n: inF, k: tokens },
  ];
}

const T = 512;
const R = 16;
const cases: Case[] = [
  ...layer("mlp up 576→1536", T, 576, 1536),
  ...layer("mlp down 1536→576", T, 1536, 576),
  ...(quick ? [] : layer("lm_head 576→49152", T, 576, 49152)),
  // LoRA on a 576→1536 layer, rank 16: A [16, 576], B [1536, 16]; u = x·Aᵀ, y += u·Bᵀ.
  ...([
    { group: "lora x·Aᵀ", form: "y", m: T, n: R, k: 576 },
    { group: "lora u·Bᵀ", form: "y", m: T, n: 1536, k: R },
    { group: "lora du=dY·B", form: "dx", m: T, n: R, k: 1536 },
    { group: "lora dB=dYᵀ·u", form: "dw", m: 1536, n: R, k: T },
    { group: "lora dx+=du·A", form: "dx", m: T, n: 576, k: R },
    { group: "lora dA=duᵀ·x", form: "dw", m: R, n: 576, k: T },
  ] satisfies Case[]),
  // Decode: one token (and four, a small batch of streams) through a projection and the lm_head.
  ...([
    { group: "decode 576→1536", form: "y", m: 1, n: 1536, k: 576 },
    { group: "decode 576→1536", form: "y", m: 4, n: 1536, k: 576 },
    { group: "decode 1536→576", form: "y", m: 1, n: 576, k: 1536 },
    ...(quick ? [] : [{ group: "decode lm_head", form: "y", m: 1, n: 49152, k: 576 } satisfies Case]),
  ] satisfies Case[]),
  ...layer("square 1024", 1024, 1024, 1024),
  ...(quick ? [] : layer("square 2048", 2048, 2048, 2048)),
].filter((c) => !only || `${c.group} ${c.form}`.includes(only));

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s >>> 8) & 0xffff) / 65536 - 0.5;
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Operands and a timer for our GEMM on one case; bf16 = weights stored bf16 (B of the Y and dX forms), bf16Ops =
 * the bf16 compute mode.
 */
function oursRunner(c: Case, bf16: boolean, bf16Ops = false, path?: string): (n: number) => number[] {
  const addon = nativeAddon();
  const transA = c.form === "dw";
  const transB = c.form === "y";
  const a = random(c.m * c.k, 1);
  const bF32 = random(c.k * c.n, 2);
  let b: Float32Array | Uint16Array = bF32;
  if (bf16) {
    const h = new Uint16Array(bF32.length);
    for (let i = 0; i < h.length; ++i) h[i] = f32ToBf16(bF32[i]);
    b = h;
  }
  const out = new Float32Array(c.m * c.n);
  const lda = transA ? c.m : c.k;
  const ldb = transB ? c.k : c.n;
  const once = () => addon.gemm(c.m, c.n, c.k, a, 0, lda, transA, b, 0, ldb, transB, bf16 ? 1 : 0, out, 0, c.n, 1, 0, bf16Ops);
  const home = nativeInfo().isa;
  const onPath = <T>(f: () => T): T => {
    if (path) setKernelPath(path);
    try {
      return f();
    } finally {
      if (path) setKernelPath(home);
    }
  };
  onPath(() => {
    once();
    once();
  });
  return (n) => onPath(() => {
    const times: number[] = [];
    for (let r = 0; r < n; ++r) {
      const t0 = process.hrtime.bigint();
      once();
      times.push(Number(process.hrtime.bigint() - t0) * 1e-9);
    }
    return times;
  });
}

/** Builds the OpenBLAS harness, or says why not (the bench then runs without the peer). */
function buildPeer(): { exe: string } | { reason: string } {
  if (noPeer) return { reason: "--no-peer given" };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const src = path.join(here, "openblas_harness.c");
  const hasHeader = ["/usr/include/x86_64-linux-gnu/cblas.h", "/usr/include/cblas.h", "/usr/include/openblas/cblas.h"].some(existsSync);
  if (!hasHeader) {
    return { reason: "OpenBLAS is not installed (no cblas.h): apt-get install libopenblas0-pthread libopenblas-dev" };
  }
  const exe = path.join(mkdtempSync(path.join(tmpdir(), "lf-bench-")), "openblas_harness");
  try {
    execFileSync("gcc", ["-O2", src, "-o", exe, "-lopenblas"], { stdio: "pipe" });
  } catch (e) {
    const msg = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e);
    return { reason: `could not build the OpenBLAS harness (apt-get install libopenblas0-pthread libopenblas-dev): ${msg}` };
  }
  return { exe };
}

// OpenBLAS in this command only: 2 threads, and without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which this
// machine may set for old OpenBLAS builds and which slow a current one.
function peerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** PyTorch from interop/.venv (bash interop/setup.sh), or why not. */
function torchPeer(): { python: string } | { reason: string } {
  if (noPeer) return { reason: "--no-peer given" };
  const python = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "interop", ".venv", "bin", "python");
  if (!existsSync(python)) return { reason: "interop/.venv is missing (bash interop/setup.sh)" };
  return { python };
}

/**
 * The f32 FMA peak of one core (GFLOPS) on each vector width this CPU has, from bench/gemm/fma_peak.c (needs gcc),
 * measured in this run: what the GEMM figures are a fraction of.
 */
function fmaPeaks(isas: string[]): Record<string, number> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const exe = path.join(mkdtempSync(path.join(tmpdir(), "lf-peak-")), "fma_peak");
  try {
    execFileSync("gcc", ["-O2", "-mavx2", "-mfma", "-mavx512f", path.join(here, "fma_peak.c"), "-o", exe], { stdio: "pipe" });
  } catch {
    return {};
  }
  const peaks: Record<string, number> = {};
  for (const isa of ["avx2", "avx512"].filter((i) => isas.includes(i))) {
    peaks[isa] = Number(execFileSync(exe, [isa], { encoding: "utf8" }).trim().split(" ")[1]);
  }
  return peaks;
}

let torchBuild = "";
/** torch.mm's timed runs (seconds) on one case, f32 or bf16 operands, after its own two warm-up runs. */
function torchRuns(python: string, c: Case, n: number, dtype: "f32" | "bf16"): number[] | undefined {
  const harness = path.join(path.dirname(fileURLToPath(import.meta.url)), "torch_harness.py");
  const env = { ...process.env, OMP_NUM_THREADS: String(threads) };
  const res = spawnSync(python, [harness, String(n), String(threads), dtype, `${c.form}:${c.m}:${c.n}:${c.k}`], { env, encoding: "utf8" });
  if (res.status !== 0) {
    console.error(`torch harness failed on ${c.form} ${c.m}x${c.n}x${c.k}: ${res.stderr || res.error}`);
    return undefined;
  }
  const lines = res.stdout.trim().split("\n");
  torchBuild = lines[0];
  return lines[lines.length - 1].split(" ").slice(5).map(Number);
}

let peerCore = "";
/** The peer's timed runs (seconds) on one case, after its own two warm-up runs. */
function peer(exe: string, c: Case, n: number): number[] | undefined {
  const res = spawnSync(exe, [String(n), `${c.form}:${c.m}:${c.n}:${c.k}`], { env: peerEnv(), encoding: "utf8" });
  if (res.status !== 0) {
    console.error(`OpenBLAS harness failed on ${c.form} ${c.m}x${c.n}x${c.k}: ${res.stderr || res.error}`);
    return undefined;
  }
  const lines = res.stdout.trim().split("\n");
  peerCore = lines[0].replace(/^core /, "");
  return lines[lines.length - 1].split(" ").slice(5).map(Number);
}

function gflops(c: Case, times: number[]): number {
  return (2 * c.m * c.n * c.k) / median(times) / 1e9;
}

function shapeLabel(c: Case): string {
  return `${c.m}×${c.k}·${c.k}×${c.n}`;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function main(): void {
  if (isa) setKernelPath(isa);
  setThreads(threads);
  const info = nativeInfo();
  const built = buildPeer();
  const peerExe = "exe" in built ? built.exe : undefined;
  const torch = torchPeer();
  const python = "python" in torch ? torch.python : undefined;
  const peaks = fmaPeaks(info.isas);
  const peakBefore = peaks[info.isa === "avx512" ? "avx512" : "avx2"];
  console.log(`loraforge gemm: kernel path ${info.isa}, ${info.threads} thread(s); median of ${Math.ceil(runs / 3) * 3} runs after 2 warm-up runs, ours and OpenBLAS alternating; GFLOPS = 2mnk/t`);
  if (!peerExe) console.log(`OpenBLAS skipped: ${"reason" in built ? built.reason : ""}`);
  if (!python) console.log(`PyTorch skipped: ${"reason" in torch ? torch.reason : ""}`);
  const header =
    `${pad("case", 20)} ${pad("shape m×k·k×n", 20)} ${pad("form", 9)} ${pad("ours f32", 9, true)} ${pad("avx2 f32", 9, true)} ${pad("OpenBLAS", 9, true)} ` +
    `${pad("ratio", 6, true)} ${pad("torch f32", 9, true)} ${pad("ratio", 6, true)} ${pad("ours bf16W", 10, true)} ${pad("bf16/f32", 8, true)} ` +
    `${pad("bf16 ops", 9, true)} ${pad("ops/f32", 7, true)} ${pad("torch bf16", 10, true)} ${pad("ratio", 6, true)}`;
  console.log(header);
  console.log("-".repeat(header.length));
  const ratios: number[] = [];
  const bfRatios: number[] = [];
  const opsRatios: number[] = [];
  const f32Large: number[] = [];
  const torchRatios: number[] = [];
  const torchBfRatios: number[] = [];
  let f32Best = 0;
  // Ours and the peer alternate in rounds, so that both see the same share of this shared machine's load.
  const rounds = 3;
  const perRound = Math.ceil(runs / rounds);
  let ob2048: number | undefined;
  for (const c of cases) {
    const f32Run = oursRunner(c, false);
    // On the avx512 path, the AVX2 kernel on the same case in the same rounds: what the wider path gains.
    const avx2Run = info.isa === "avx512" ? oursRunner(c, false, false, "avx2") : undefined;
    const tAvx2: number[] = [];
    // bf16 applies where B is the weight (Y and dX forms); dW's B is an activation.
    const bfRun = c.form === "dw" ? undefined : oursRunner(c, true);
    const opsRun = c.form === "dw" ? undefined : oursRunner(c, true, true);
    const tF32: number[] = [];
    const tBf: number[] = [];
    const tOps: number[] = [];
    let tOb: number[] | undefined = peerExe ? [] : undefined;
    let tTorch: number[] | undefined = python ? [] : undefined;
    // torch's bf16 GEMM is the peer of our bf16 compute mode, which exists for the forms with a weight as B.
    let tTorchBf: number[] | undefined = python && opsRun ? [] : undefined;
    for (let r = 0; r < rounds; ++r) {
      tF32.push(...f32Run(perRound));
      if (avx2Run) tAvx2.push(...avx2Run(perRound));
      if (tOb && peerExe) {
        const t = peer(peerExe, c, perRound);
        tOb = t ? [...tOb, ...t] : undefined;
      }
      if (tTorch && python) {
        const t = torchRuns(python, c, perRound, "f32");
        tTorch = t ? [...tTorch, ...t] : undefined;
      }
      if (bfRun) tBf.push(...bfRun(perRound));
      if (opsRun) tOps.push(...opsRun(perRound));
      if (tTorchBf && python) {
        const t = torchRuns(python, c, perRound, "bf16");
        tTorchBf = t ? [...tTorchBf, ...t] : undefined;
      }
    }
    const f32 = gflops(c, tF32);
    const avx2 = avx2Run ? gflops(c, tAvx2) : undefined;
    const ob = tOb ? gflops(c, tOb) : undefined;
    const bf = bfRun ? gflops(c, tBf) : undefined;
    const ops = opsRun ? gflops(c, tOps) : undefined;
    const th = tTorch ? gflops(c, tTorch) : undefined;
    const thBf = tTorchBf ? gflops(c, tTorchBf) : undefined;
    if (th !== undefined) torchRatios.push(f32 / th);
    if (thBf !== undefined && ops !== undefined) torchBfRatios.push(ops / thBf);
    f32Best = Math.max(f32Best, f32);
    if (ops !== undefined && c.m >= 256 && c.n > 16 && c.k > 16) opsRatios.push(ops / f32);
    if (c.m >= 256 && c.n > 16 && c.k > 16) f32Large.push(f32);
    if (c.m === 2048 && c.n === 2048 && c.k === 2048 && c.form === "y") ob2048 = ob;
    if (ob !== undefined) ratios.push(f32 / ob);
    if (bf !== undefined) bfRatios.push(bf / f32);
    console.log(
      `${pad(c.group, 20)} ${pad(shapeLabel(c), 20)} ${pad(FORM_NAME[c.form], 9)} ${pad(f32.toFixed(1), 9, true)} ` +
        `${pad(avx2 === undefined ? "-" : avx2.toFixed(1), 9, true)} ` +
        `${pad(ob === undefined ? "-" : ob.toFixed(1), 9, true)} ${pad(ob === undefined ? "-" : (f32 / ob).toFixed(2), 6, true)} ` +
        `${pad(th === undefined ? "-" : th.toFixed(1), 9, true)} ${pad(th === undefined ? "-" : (f32 / th).toFixed(2), 6, true)} ` +
        `${pad(bf === undefined ? "-" : bf.toFixed(1), 10, true)} ${pad(bf === undefined ? "-" : (bf / f32).toFixed(2), 8, true)} ` +
        `${pad(ops === undefined ? "-" : ops.toFixed(1), 9, true)} ${pad(ops === undefined ? "-" : (ops / f32).toFixed(2), 7, true)} ` +
        `${pad(thBf === undefined ? "-" : thBf.toFixed(1), 10, true)} ${pad(thBf === undefined || ops === undefined ? "-" : (ops / thBf).toFixed(2), 6, true)}`,
    );
  }
  const geo = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  if (ratios.length) console.log(`ours/OpenBLAS: geometric mean ${geo(ratios).toFixed(2)}, min ${Math.min(...ratios).toFixed(2)}`);
  if (torchRatios.length) console.log(`ours f32 / torch f32: geometric mean ${geo(torchRatios).toFixed(2)}, min ${Math.min(...torchRatios).toFixed(2)}`);
  if (torchBfRatios.length) console.log(`ours bf16 compute / torch bf16: geometric mean ${geo(torchBfRatios).toFixed(2)}, min ${Math.min(...torchBfRatios).toFixed(2)}`);
  if (bfRatios.length) console.log(`bf16W/f32: geometric mean ${geo(bfRatios).toFixed(2)}, min ${Math.min(...bfRatios).toFixed(2)}`);
  if (opsRatios.length) console.log(`bf16 compute / f32, M ≥ 256 (LoRA rank-16 products excluded): geometric mean ${geo(opsRatios).toFixed(2)}, min ${Math.min(...opsRatios).toFixed(2)}`);
  console.log(`our best f32 figure this run: ${f32Best.toFixed(1)} GFLOPS`);
  // The peak is re-measured after the cases too: the machine's load may have changed meanwhile.
  const peakAfter = fmaPeaks(info.isas)[info.isa === "avx512" ? "avx512" : "avx2"];
  if (peakBefore && peakAfter && f32Large.length) {
    const peak = threads * Math.max(peakBefore, peakAfter);
    const share = (x: number) => `${((100 * x) / peak).toFixed(0)}%`;
    const sorted = [...f32Large].sort((a, b) => a - b);
    console.log(
      `FMA peak of one core (${info.isa === "avx512" ? "zmm" : "ymm"}, fma_peak.c, before / after the cases): ${peakBefore.toFixed(1)} / ${peakAfter.toFixed(1)} GFLOPS ` +
        `(ymm ${peaks.avx2?.toFixed(1) ?? "-"}); f32 at M ≥ 256 (rank-16 products excluded) against ${threads} × the higher: ` +
        `median ${share(sorted[Math.floor(sorted.length / 2)])}, min ${share(sorted[0])}, max ${share(sorted[sorted.length - 1])}`,
    );
  }
  if (peerExe) {
    if (ob2048 === undefined) {
      const t = peer(peerExe, { group: "square 2048", form: "y", m: 2048, n: 2048, k: 2048 }, runs);
      if (t) ob2048 = gflops({ group: "", form: "y", m: 2048, n: 2048, k: 2048 }, t);
    }
    if (ob2048 !== undefined) console.log(`OpenBLAS 2048² Y=X·Wᵀ: ${ob2048.toFixed(1)} GFLOPS`);
    console.log(`OpenBLAS core type detected: ${peerCore} (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for the peer)`);
  }
  if (torchBuild) console.log(`PyTorch peer: ${torchBuild.replace(/ (f32|bf16)$/, "")}`);
}

main();
