import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, cpuBackend as cpu, nativeInfo } from "../../../src/index.js";
import { withNative } from "../../helpers/native-paths.js";
import { bitIdentical, randomTensor } from "../../helpers/numeric.js";
import { segments } from "./fd.js";

/** Every output of `body` is bit-identical with 1, 2 and 3 threads, on every kernel path. */
function sameForAnyThreadCount(name: string, body: () => Tensor[]): void {
  for (const isa of nativeInfo().isas) {
    const runs = [1, 2, 3].map((threads) => withNative({ isa, threads }, body));
    runs[0].forEach((t, i) => {
      assert.ok(bitIdentical(t, runs[1][i]), `${name} [${i}] ${isa}: 1 vs 2 threads`);
      assert.ok(bitIdentical(t, runs[2][i]), `${name} [${i}] ${isa}: 1 vs 3 threads`);
    });
  }
}

describe("kernels are bit-identical for 1, 2 and 3 threads", () => {
  for (const bf16 of [false, true]) {
    const mode = bf16 ? " (bf16 compute mode)" : "";
    it(`attention forward, backward and decode (several blocks, GQA, segments)${mode}`, () => {
      const T = 300;
      const q = randomTensor([T, 6, 64], 1);
      const k = randomTensor([T, 2, 64], 2);
      const v = randomTensor([T, 2, 64], 3);
      const dOut = randomTensor([T, 6, 64], 4);
      const seg = segments([100, 7, 150, 43]);
      sameForAnyThreadCount("attention", () => {
        const { out, lse } = cpu.attention(q, k, v, seg, undefined, undefined, { bf16 });
        const g = cpu.attentionBackward(dOut, q, k, v, out, lse, seg, undefined, undefined, { bf16 });
        const dec = cpu.attentionDecode(randomTensor([6, 64], 5), k, v, 299, undefined, undefined, { bf16 });
        return [out, lse, g.dq, g.dk, g.dv, dec];
      });
    });

    it(`sliding-window attention forward, backward and decode${mode}`, () => {
      const T = 300;
      const q = randomTensor([T, 4, 32], 11);
      const k = randomTensor([T, 2, 32], 12);
      const v = randomTensor([T, 2, 32], 13);
      const dOut = randomTensor([T, 4, 32], 14);
      const seg = segments([180, 7, 113]);
      sameForAnyThreadCount("windowed attention", () => {
        const { out, lse } = cpu.attention(q, k, v, seg, undefined, 70, { bf16 });
        const g = cpu.attentionBackward(dOut, q, k, v, out, lse, seg, undefined, 70, { bf16 });
        const dec = cpu.attentionDecode(randomTensor([4, 32], 15), k, v, 299, undefined, 70, { bf16 });
        return [out, lse, g.dq, g.dk, g.dv, dec];
      });
    });
  }

  it("fused cross-entropy (several chunks) and the gradient norm", () => {
    const h = randomTensor([70, 32], 6);
    const w = randomTensor([200000, 32], 7, "bf16");
    const targets = new Tensor("i32", [70], Int32Array.from({ length: 70 }, (_, i) => (i % 9 === 0 ? -100 : (i * 2741) % 200000)));
    sameForAnyThreadCount("crossEntropyLinear", () => {
      const r = cpu.crossEntropyLinear(h, w, targets, 1 / 61);
      assert.ok(r.dh);
      return [r.dh, Tensor.fromNumbers([2], [r.lossSum, cpu.gradNorm([r.dh, h])], "f64")];
    });
  });

  it("norms, rope, swiglu, geglu, embedding backward with repeated ids, optimizer steps", () => {
    const x = randomTensor([50, 700], 8);
    const w = randomTensor([700], 9);
    const ids = new Tensor("i32", [50], Int32Array.from({ length: 50 }, (_, i) => (i * 13) % 11));
    const pos = new Tensor("i32", [50], Int32Array.from({ length: 50 }, (_, i) => i % 17));
    sameForAnyThreadCount("elementwise", () => {
      const { y, rstd } = cpu.rmsNorm(x, w, 1e-5);
      const p = x.to("f32");
      const m = Tensor.zeros(x.shape);
      const vv = Tensor.zeros(x.shape);
      cpu.adamwStep(p, y, m, vv, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 });
      return [
        y,
        rstd,
        cpu.rmsNormBackward(y, x, w, rstd),
        cpu.rope(x.reshape([50, 7, 100]), pos, { theta: 10000, headDim: 100 }),
        cpu.swiglu(x, y),
        cpu.geglu(x, y),
        cpu.gegluBackward(x, y, x).dGate,
        cpu.embeddingBackward(x, ids, 11),
        p,
      ];
    });
  });
});
