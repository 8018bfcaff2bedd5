import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StepArena, Tensor, releaseTensors } from "../../src/tensor/index.js";
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

  it("serves a smaller class from a free buffer up to twice its class, never a larger class's in-use one", () => {
    const arena = new StepArena();
    arena.run(() => Tensor.zeros([10000]).data.fill(3));
    arena.run(() => {
      const a = Tensor.zeros([6000]); // class 6144: the free 10240-float buffer is within 2×
      assert.equal(arena.allocations, 1, "reused the larger free buffer");
      assert.equal(a.numel, 6000);
      assert.ok(a.data.every((v) => v === 0), "zeros() cleared the part it hands out");
      const b = Tensor.zeros([6000]); // the only free buffer is in use now
      assert.equal(arena.allocations, 2);
      a.data.fill(1);
      assert.ok(b.data.every((v) => v === 0), "b is not a's buffer");
      Tensor.zeros([2000]); // class 2000: no free buffer within 4000 floats
      assert.equal(arena.allocations, 3);
    });
    arena.run(() => Tensor.zeros([2500])); // class 2512: the free 2000 is too small, 6144 and 10240 over 2×
    assert.equal(arena.allocations, 4);
  });

  it("steps of varying lengths hold about one step's buffers, not one set per length", () => {
    const arena = new StepArena();
    const lengths = [5000, 5300, 5600, 4800, 6000, 5100, 5900, 5450];
    for (const n of lengths) arena.run(() => [1, 2, 3].map((k) => Tensor.zeros([k * n])));
    assert.ok(arena.allocations <= 6, `${arena.allocations} buffers for ${lengths.length} steps of 3`);
  });

  it("lets the buffers unused for longest go once it holds more than 1.25× its largest step", () => {
    const arena = new StepArena();
    arena.run(() => Tensor.zeros([10000])); // class 10240
    arena.run(() => Tensor.zeros([30000])); // class 30720: the 10240 buffer is too small to serve
    assert.equal(arena.heldBytes, 30720 * 4, "the idle 10240-float buffer was let go (40960 > 1.25 × 30720 floats)");
    arena.run(() => [Tensor.zeros([30000]), Tensor.zeros([5000])]);
    assert.equal(arena.allocations, 3);
    arena.run(() => Tensor.zeros([30000])); // 5120 idle, but 35840 ≤ 1.25 × 35840: kept
    assert.equal(arena.heldBytes, (30720 + 5120) * 4);
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

  it("a released buffer serves a later request of the same run, and the run's high-water mark counts it once", () => {
    const arena = new StepArena();
    arena.run(() => {
      const a = Tensor.zeros([1000]);
      a.data.fill(4);
      releaseTensors(a.reshape([10, 100])); // a reshape is the whole buffer
      assert.equal(arena.inUseBytes, 0);
      const b = Tensor.empty([1000]);
      assert.equal(arena.allocations, 1, "b reused a's buffer");
      assert.ok(b.data.every((v) => v === 4), "empty() left it as a left it");
      Tensor.zeros([1000]);
      assert.equal(arena.allocations, 2);
    });
    assert.equal(arena.lastRunPeakBytes, 2 * 1008 * 4, "two buffers of class 1008 in use at once, never three");
    arena.run(() => {
      const a = Tensor.zeros([1000]);
      releaseTensors(a);
      releaseTensors(Tensor.zeros([1000]));
    });
    assert.equal(arena.lastRunPeakBytes, 1008 * 4);
  });

  it("poison: a released buffer reads NaN until a later request takes it", () => {
    const arena = new StepArena({ poison: true });
    arena.run(() => {
      const a = Tensor.zeros([64]);
      const view = a.rows(10, 4);
      releaseTensors(a);
      assert.ok(view.data.every(Number.isNaN), "a view kept past the release reads NaN");
      assert.ok(Tensor.zeros([64]).data.every((v) => v === 0));
    });
  });

  it("refuses to release a buffer twice or a view of part of one, and leaves tensors not from it alone", () => {
    const arena = new StepArena();
    arena.run(() => {
      const a = Tensor.zeros([64]);
      assert.throws(() => releaseTensors(a.rows(0, 8)), /part of a buffer/);
      assert.throws(() => releaseTensors(a.rows(8, 56)), /part of a buffer/);
      releaseTensors(a);
      assert.throws(() => releaseTensors(a), /already handed back/);
      const outside = new Tensor("f32", [64], new Float32Array(64));
      releaseTensors(outside, Tensor.zeros([8], "bf16"), undefined);
      assert.equal(arena.inUseBytes, 0);
      assert.equal(Tensor.zeros([64]).data === outside.data, false);
    });
    const early = arena.run(() => Tensor.zeros([64]));
    releaseTensors(early); // outside any run: nothing to hand back to
    arena.run(() => assert.throws(() => releaseTensors(early), /already handed back/));
  });

  it("a release inside a nested run may hand back an outer run's buffer; the inner run's end frees only its own", () => {
    const arena = new StepArena({ poison: true });
    arena.run(() => {
      const outer = Tensor.zeros([64]);
      const kept = Tensor.zeros([64]);
      kept.data.fill(2);
      arena.run(() => releaseTensors(outer));
      assert.ok(outer.data.every(Number.isNaN));
      assert.ok(kept.data.every((v) => v === 2));
      assert.equal(arena.inUseBytes, 64 * 4);
    });
    assert.equal(arena.inUseBytes, 0);
  });

  it("size classes: at least the length, multiples of 16 floats, at most 12.5% over above 4096 floats", () => {
    for (const n of [0, 1, 15, 16, 17, 4095, 4096, 4097, 5000, 294912, 786432, 1e6 + 3, 25165824]) {
      const c = sizeClass(n);
      assert.ok(c >= n && c % 16 === 0, `class ${c} of ${n}`);
      if (n > 4096) assert.ok(c <= n * 1.125, `class ${c} of ${n} wastes more than 12.5%`);
    }
  });
});
