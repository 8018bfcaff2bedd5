import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ShapeError, Tensor, cpuBackend as cpu, referenceBackend as ref } from "../../../src/index.js";
import { nativeAddon } from "../../../src/tensor/cpu/addon.js";
import { dropoutHash } from "../../../src/tensor/reference/dropout.js";
import { nativeConfigurations, withNative } from "../../helpers/native-paths.js";
import { randomTensor } from "../../helpers/numeric.js";

const ones = (n: number) => new Tensor("f32", [n], new Float32Array(n).fill(1));
const dropped = (t: Tensor) => Array.from(t.data, (v) => v === 0);

describe("dropout: counter-based inverted dropout", () => {
  it("native masks equal the reference's exactly (values within 1e-6), on every kernel path and thread count, across task blocks", () => {
    const x = randomTensor([7, 16411], 3); // 114877 elements: several 16384-element tasks and a ragged tail
    for (const p of [0.05, 0.5, 0.9]) {
      const want = ref.dropout(x, p, 12345);
      for (const config of nativeConfigurations()) {
        const got = withNative(config, () => cpu.dropout(x, p, 12345));
        assert.equal(got.dtype, "f32");
        for (let i = 0; i < x.numel; i++) {
          const w = want.data[i];
          if (w === 0 ? got.data[i] !== 0 : Math.abs(got.data[i] - w) > 1e-6 * Math.abs(w)) {
            assert.fail(`p ${p} ${config.isa}/${config.threads}t: element ${i} is ${got.data[i]}, reference ${w}`);
          }
        }
      }
    }
  });

  it("keeps each element with probability 1 − p and scales it by exactly 1/(1 − p), as torch.nn.Dropout", () => {
    const n = 1 << 20;
    for (const p of [0.05, 0.1, 0.5]) {
      const y = cpu.dropout(ones(n), p, 7);
      const kept = y.data.filter((v) => v !== 0);
      const sigma = Math.sqrt(p * (1 - p) / n);
      assert.ok(Math.abs(kept.length / n - (1 - p)) < 5 * sigma, `p ${p}: kept ${kept.length / n}`);
      assert.ok(kept.every((v) => v === Math.fround(1 / (1 - p))), `p ${p}: scale`);
    }
    assert.deepEqual(cpu.dropout(ones(1000), 0, 7).data, ones(1000).data, "p = 0 is the identity");
  });

  it("the mask is a function of the key: same key replays, another key draws an independent mask", () => {
    const n = 1 << 18;
    const p = 0.5;
    const a = dropped(cpu.dropout(ones(n), p, 1));
    assert.deepEqual(dropped(cpu.dropout(ones(n), p, 1)), a);
    for (const other of [2, 0x80000001]) {
      const b = dropped(cpu.dropout(ones(n), p, other));
      const agree = a.filter((v, i) => v === b[i]).length / n;
      // Independent masks agree with probability p² + (1 − p)² = 0.5.
      assert.ok(Math.abs(agree - 0.5) < 5 * Math.sqrt(0.25 / n), `key 1 vs ${other}: agreement ${agree}`);
    }
    // Neighbouring elements are not correlated either.
    let same = 0;
    for (let i = 1; i < n; i++) if (a[i] === a[i - 1]) same++;
    assert.ok(Math.abs(same / (n - 1) - 0.5) < 5 * Math.sqrt(0.25 / n), `adjacent agreement ${same / (n - 1)}`);
    assert.ok(dropoutHash(1, 0) !== dropoutHash(1, 1) && dropoutHash(1, 0) !== dropoutHash(2, 0));
  });

  it("multiplies by the mask as torch does: a dropped NaN or infinity stays NaN", () => {
    const n = 4096;
    const x = new Tensor("f32", [n], new Float32Array(n).fill(NaN));
    for (let i = 0; i < n; i += 2) x.data[i] = Infinity;
    for (const b of [cpu, ref]) {
      const y = b.dropout(x, 0.5, 3);
      const keptInf = Array.from(y.data).filter((v, i) => i % 2 === 0 && v === Infinity).length;
      const nan = Array.from(y.data).filter((v) => Number.isNaN(v)).length;
      assert.equal(keptInf + nan, n, `${b.name}: every element is a kept infinity or NaN`);
      assert.ok(keptInf > n / 8 && keptInf < (3 * n) / 8, `${b.name}: about half of the infinities kept (${keptInf})`);
    }
  });

  it("writes in place when out is x, also into a bf16 out on the reference", () => {
    const x = randomTensor([3, 100], 5);
    const want = cpu.dropout(x, 0.3, 99);
    const same = cpu.dropout(x, 0.3, 99, x);
    assert.equal(same, x);
    assert.deepEqual(x.data, want.data);
    const ints = new Tensor("f32", [4], Float32Array.from([1, 2, 3, 4]));
    const bf16 = ref.dropout(ints, 0, 5, Tensor.zeros([4], "bf16"));
    assert.deepEqual(Array.from({ length: 4 }, (_, i) => bf16.get(i)), [1, 2, 3, 4]);
  });

  it("bad calls: p outside [0, 1), a key beyond 32 bits, a mismatched out", () => {
    const x = Tensor.zeros([2, 3]);
    for (const b of [cpu, ref]) {
      assert.throws(() => b.dropout(x, 1, 0), (e: Error) => e instanceof ShapeError && /dropout: p must lie in \[0, 1\), got 1/.test(e.message));
      assert.throws(() => b.dropout(x, -0.1, 0), ShapeError);
      assert.throws(() => b.dropout(x, 0.1, 2 ** 32), /key must be a 32-bit unsigned integer/);
      assert.throws(() => b.dropout(x, 0.1, 0, Tensor.zeros([3, 2])), /dropout: x f32\[2, 3\], out f32\[3, 2\]/);
    }
    assert.throws(() => nativeAddon().dropout(new Float32Array(4), 0, 0, 1, new Float32Array(3)), RangeError);
    assert.throws(() => nativeAddon().dropout(new Float32Array(4), 2 ** 32, 0, 1, new Float32Array(4)), /key must fit in 32 bits/);
  });
});
