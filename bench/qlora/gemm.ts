// NF4 fused products vs our f32 GEMM on the same shapes (the projections of qwen2.5-0.5b / llama3.2-1b), at
// M = 512 (training rows) and M = 1 (decoding). Prints one JSON line per shape. Run by bench/qlora/run.ts.
import { cpuBackend, linear } from "../../src/tensor/index.js";
import { quantLinear, quantLinearBackwardInput, quantizeTensor, quantScheme } from "../../src/quant/index.js";
import { linearBackwardInput } from "../../src/tensor/index.js";
import { randomTensor } from "../../test/helpers/numeric.js";

const shapes: Array<[string, number, number]> = [
  ["qwen2.5-0.5b gate_proj", 4864, 896],
  ["qwen2.5-0.5b down_proj", 896, 4864],
  ["llama3.2-1b gate_proj", 8192, 2048],
];

/**
 * Seconds per call of two functions, run alternately over about `minSeconds` so both see the same machine load;
 * the fastest run of each counts (on a shared machine the minimum is the least noisy).
 */
function timePair(a: () => unknown, b: () => unknown, minSeconds: number): [number, number] {
  a();
  b();
  const best = [Infinity, Infinity];
  const t0 = performance.now();
  for (let n = 0; n < 3 || performance.now() - t0 < minSeconds * 1000; n++) {
    [a, b].forEach((fn, i) => {
      const s = performance.now();
      fn();
      best[i] = Math.min(best[i], performance.now() - s);
    });
  }
  return [best[0] / 1000, best[1] / 1000];
}

const quick = process.argv.includes("--quick");
for (const [name, out, inF] of shapes) {
  const w = randomTensor([out, inF], 1, "f32", 0.05);
  const q = quantizeTensor(w, quantScheme("nf4"));
  for (const m of [512, 1]) {
    const x = randomTensor([m, inF], 2);
    const dy = randomTensor([m, out], 3);
    const flops = 2 * m * out * inF;
    const secs = quick ? 0.5 : 2;
    const [f32Fwd, nf4Fwd] = timePair(() => linear(cpuBackend, x, w), () => quantLinear(cpuBackend, x, q), secs);
    const row: Record<string, unknown> = {
      shape: name,
      m,
      f32_fwd_gflops: +(flops / f32Fwd / 1e9).toFixed(2),
      nf4_fwd_gflops: +(flops / nf4Fwd / 1e9).toFixed(2),
      fwd_ratio: +(f32Fwd / nf4Fwd).toFixed(3),
    };
    if (m > 1) {
      const [f32Bwd, nf4Bwd] = timePair(() => linearBackwardInput(cpuBackend, dy, w), () => quantLinearBackwardInput(cpuBackend, dy, q), secs);
      Object.assign(row, {
        f32_bwd_gflops: +(flops / f32Bwd / 1e9).toFixed(2),
        nf4_bwd_gflops: +(flops / nf4Bwd / 1e9).toFixed(2),
        bwd_ratio: +(f32Bwd / nf4Bwd).toFixed(3),
      });
    }
    console.log(JSON.stringify(row));
  }
}
