import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import type { ModelBackend } from "../../src/model/index.js";
import { countTargets, lossAndGradients, makeBatch, setComputeDtype } from "../../src/model/index.js";
import { StepArena, cpuBackend } from "../../src/tensor/index.js";
import { Optimizer } from "../../src/train/optimizer.js";
import { Rng } from "../../src/util/rng.js";
import { microConfig, microModel, randomizeAdapter } from "../model/helpers/micro-model.js";

// Training with the step arena (buffers reused across micro-batches and steps, kernel outputs not cleared) must
// give the same bits as training with fresh zeroed buffers. The arena poisons every buffer with NaN when a
// micro-batch ends, so a kernel output left partly unwritten, a Tensor.zeros not cleared, or a tensor that
// outlives its micro-batch shows here as NaN.

function microBatches(step: number) {
  const rng = new Rng(100 + step);
  // Both micro-batches hold 20 tokens (so they reuse each other's buffers) in segments that differ, with masked
  // prompts, so a stale row of a reused buffer lands where the new batch needs a zero or its own value.
  return [[9, 11], [14, 6]].map((lengths) =>
    makeBatch(
      lengths.map((n) => {
        const inputIds = Array.from({ length: n }, () => rng.int(50));
        return { inputIds, labels: inputIds.map((v, i) => (i < 2 + step ? -100 : v)) };
      }),
    ),
  );
}

function train(arena: StepArena | undefined, options: { compute: "f32" | "bf16"; checkpointing: boolean }) {
  const model = microModel(microConfig("qwen2"), cpuBackend as ModelBackend, 3, "bf16");
  setComputeDtype(model, options.compute);
  const adapter = buildLoraAdapter(model, loraConfig({ r: 4, loraAlpha: 8, loraDropout: 0.1, targetModules: "all-linear" }), { seed: 5 });
  randomizeAdapter(adapter.parameters(), 9);
  attachAdapter(model, adapter);
  const optimizer = new Optimizer(cpuBackend as ModelBackend, adapter.parameters(), adapter.gradients(), { kind: "adamw", beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const before = adapter.parameters().map((p) => (p.data as Float32Array).slice());
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    adapter.zeroGradients();
    const micro = microBatches(step);
    const normalizer = micro.reduce((n, b) => n + countTargets(b), 0);
    for (const [j, batch] of micro.entries()) {
      const run = () => lossAndGradients(model, batch, { normalizer, checkpointing: options.checkpointing, dropoutSeed: 7 * step + j });
      losses.push((arena ? arena.run(run) : run()).lossSum);
    }
    optimizer.apply(1e-2);
  }
  const params = adapter.parameters().map((p) => Buffer.from((p.data as Float32Array).slice().buffer));
  const moved = params.every((p, i) => !p.equals(Buffer.from(before[i].buffer)));
  return { losses, params, moved };
}

describe("the step arena", () => {
  for (const compute of ["f32", "bf16"] as const) {
    for (const checkpointing of [false, true]) {
      it(`three steps of two micro-batches give the same bits with and without it (${compute} compute${checkpointing ? ", checkpointing" : ""})`, () => {
        const fresh = train(undefined, { compute, checkpointing });
        const arena = new StepArena({ poison: true });
        const reused = train(arena, { compute, checkpointing });
        assert.ok(arena.allocations > 0, "the arena handed out no buffers");
        assert.deepEqual(reused.losses, fresh.losses);
        reused.params.forEach((p, i) => assert.ok(p.equals(fresh.params[i]), `parameter ${i} differs`));
        // Every parameter moved: the comparison is not between untouched initial states.
        assert.ok(fresh.moved);
      });
    }
  }
});
