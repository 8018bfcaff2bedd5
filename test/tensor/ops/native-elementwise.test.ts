import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, cpuBackend as cpu, referenceBackend as ref } from "../../../src/index.js";
import type { Backend, RopeConfig } from "../../../src/index.js";
import { nativeConfigurations, withNative } from "../../helpers/native-paths.js";
import { randomTensor, relativeError } from "../../helpers/numeric.js";

// Tolerance (relative Frobenius error vs float64): these ops round a handful of f32 operations per element, plus
// an f32 sum over D for RMSNorm (√D·u ≈ 2e-6 at D = 1000); RoPE angles are taken in double before rounding.
// Measured ≤ 1e-7; 2e-6 is far below the O(1) error of a wrong index or sign.
const TOL = 2e-6;

function check(name: string, got: Tensor, want: Tensor): void {
  const err = relativeError(got, want);
  assert.ok(err < TOL, `${name}: relative error ${err} (tolerance ${TOL})`);
}

/** Runs `body(cpu)` on every kernel path and thread count, comparing each result with `body(ref)`. */
function versusReference(name: string, body: (b: Backend) => Tensor[]): void {
  const want = body(ref);
  for (const config of nativeConfigurations()) {
    withNative(config, () => body(cpu).forEach((t, i) => check(`${name} [${i}] ${config.isa}/${config.threads}t`, t, want[i])));
  }
}

describe("elementwise ops: native vs float64 reference", () => {
  // (D = 1 is left out: its dx = r·w·dy·eps/(x² + eps) is pure cancellation, ill-conditioned in any f32 code.)
  it("rmsNorm forward and backward, f32 and bf16 weight, T = 1, D = 3, 13, 1000", () => {
    for (const [rows, dim] of [[1, 3], [5, 13], [37, 1000]]) {
      const x = randomTensor([rows, dim], dim);
      const dy = randomTensor([rows, dim], dim + 1);
      for (const wType of ["f32", "bf16"] as const) {
        const w = randomTensor([dim], dim + 2, wType);
        versusReference(`rmsNorm ${rows}x${dim} ${wType}`, (b) => {
          const { y, rstd } = b.rmsNorm(x, w, 1e-6);
          return [y, rstd, b.rmsNormBackward(dy, x, w, rstd)];
        });
      }
    }
  });

  it("rope forward and backward: default, llama3, partial rotary, large and restarting positions", () => {
    const positions = new Tensor("i32", [7], Int32Array.from([0, 1, 2, 0, 1, 70000, 131071]));
    const configs: RopeConfig[] = [
      { theta: 10000, headDim: 64 },
      { theta: 500000, headDim: 64, llama3: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } },
      { theta: 10000, headDim: 16 },
    ];
    for (const config of configs) {
      const x = randomTensor([7, 3, 64], 7);
      versusReference(`rope ${JSON.stringify(config)}`, (b) => [b.rope(x, positions, config), b.ropeBackward(x, positions, config)]);
    }
  });

  it("swiglu forward and backward, including large |gate|", () => {
    const gate = randomTensor([3, 16411], 20, "f32", 30);
    const up = randomTensor([3, 16411], 21);
    const dy = randomTensor([3, 16411], 22);
    versusReference("swiglu", (b) => {
      const { dGate, dUp } = b.swigluBackward(dy, gate, up);
      return [b.swiglu(gate, up), dGate, dUp];
    });
  });

  it("geglu (gelu_pytorch_tanh) forward and backward, including large |gate|, on every path and thread count", () => {
    const gate = randomTensor([3, 16411], 23, "f32", 30);
    const up = randomTensor([3, 16411], 24);
    const dy = randomTensor([3, 16411], 25);
    versusReference("geglu", (b) => {
      const { dGate, dUp } = b.gegluBackward(dy, gate, up);
      return [b.geglu(gate, up), dGate, dUp];
    });
    // Gates within ±3, where gelu's curvature (the g³ term) matters most.
    const g = randomTensor([5, 301], 26, "f32", 3);
    const u = randomTensor([5, 301], 27);
    const d = randomTensor([5, 301], 28);
    versusReference("geglu |gate| ≤ 3", (b) => {
      const { dGate, dUp } = b.gegluBackward(d, g, u);
      return [b.geglu(g, u), dGate, dUp];
    });
  });

  it("embedding gather (f32 and bf16) and scatter-add backward with repeated ids", () => {
    const ids = new Tensor("i32", [9], Int32Array.from([3, 0, 3, 99, 3, 7, 0, 50, 99]));
    const dy = randomTensor([9, 130], 30);
    for (const wType of ["f32", "bf16"] as const) {
      const w = randomTensor([100, 130], 31, wType);
      versusReference(`embedding ${wType}`, (b) => [b.embedding(w, ids), b.embeddingBackward(dy, ids, 100)]);
    }
  });
});
