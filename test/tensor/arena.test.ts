import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StepArena, Tensor } from "../../src/tensor/index.js";
import { sizeClass } from "../../src/tensor/arena.js";

describe("StepArena", () => {
  it("hands a run's buffers to the next run: zeros cleared, empty ones as the last run left them", () => {
    const arena = new StepArena();
    arena.run(() => {
      Tensor.zeros([100]).data.fill(5);
      Tensor.zeros([3, 50]).data.fill(6);
    });
    assert.equal(arena.allocations, 2);
    arena.run(() => {
      const a = Tensor.empty([100]);
      const b = Tensor.zeros([150]);
      assert.equal(arena.allocations, 2, "no new buffer");
      assert.ok(a.data.every((v) => v === 5 || v === 6), "empty() reused a buffer without clearing it");
      assert.ok(b.data.every((v) => v === 0), "zeros() cleared it");
    });
  });

  it("never gives out one buffer twice in a run", () => {
    const arena = new StepArena();
    for (let round = 0; round < 2; round++) {
      arena.run(() => {
        const ts = Array.from({ length: 6 }, (_, i) => Tensor.zeros([1000 + (i % 2)]));
        ts.forEach((t, i) => t.data.fill(i + 1));
        ts.forEach((t, i) => assert.ok(t.data.every((v) => v === i + 1), `tensor ${i} was overwritten by another`));
      });
    }
    assert.equal(arena.allocations, 6);
  });

  it("reuses a buffer for a shorter length of the same size class", () => {
    const arena = new StepArena();
    arena.run(() => Tensor.zeros([9000]));
    arena.run(() => {
      const t = Tensor.zeros([8500]);
      assert.equal(t.numel, 8500);
      assert.equal(arena.allocations, 1);
    });
  });

  it("frees a run's buffers when it throws", () => {
    const arena = new StepArena();
    assert.throws(() =>
      arena.run(() => {
        Tensor.zeros([64]);
        throw new Error("boom");
      }),
    );
    arena.run(() => Tensor.zeros([64]));
    assert.equal(arena.allocations, 1);
  });

  it("a nested run frees only its own buffers", () => {
    const arena = new StepArena({ poison: true });
    arena.run(() => {
      const outer = Tensor.zeros([64]);
      outer.data.fill(3);
      const inner = arena.run(() => Tensor.zeros([64]));
      assert.ok(outer.data.every((v) => v === 3), "the inner run's end touched the outer run's tensor");
      assert.ok(inner.data.every(Number.isNaN), "the inner run's tensor was not freed");
    });
  });

  it("past maxBytes gives fresh buffers and holds no more", () => {
    const arena = new StepArena({ maxBytes: 4096 * 4 });
    arena.run(() => {
      const ts = [Tensor.zeros([4096]), Tensor.zeros([4096]), Tensor.zeros([10])];
      assert.ok(ts.every((t) => t.data.every((v) => v === 0)));
    });
    assert.equal(arena.allocations, 1);
    assert.equal(arena.heldBytes, 4096 * 4);
  });

  it("poison: a buffer reads NaN after its run", () => {
    const arena = new StepArena({ poison: true });
    const escaped = arena.run(() => Tensor.zeros([32]));
    assert.ok(escaped.data.every(Number.isNaN));
  });

  it("only f32 tensors come from it, and only inside run()", () => {
    const arena = new StepArena();
    arena.run(() => {
      Tensor.zeros([8], "i32");
      Tensor.zeros([8], "bf16");
    });
    assert.equal(arena.allocations, 0);
    const outside = Tensor.empty([8]);
    assert.ok(outside.data.every((v) => v === 0), "outside an arena empty() is a fresh (zero) buffer");
    assert.equal(arena.allocations, 0);
  });

  it("size classes: at least the length, multiples of 16 floats, at most 12.5% over above 4096 floats", () => {
    for (const n of [0, 1, 15, 16, 17, 4095, 4096, 4097, 5000, 294912, 786432, 1e6 + 3, 25165824]) {
      const c = sizeClass(n);
      assert.ok(c >= n && c % 16 === 0, `class ${c} of ${n}`);
      if (n > 4096) assert.ok(c <= n * 1.125, `class ${c} of ${n} wastes more than 12.5%`);
    }
  });
});
