import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LoraConfig } from "../../src/lora/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import type { ModelBackend } from "../../src/model/index.js";
import { computeLoss, countTargets, lossAndGradients, makeBatch, setComputeDtype } from "../../src/model/index.js";
import { quantScheme, quantizeTensor } from "../../src/quant/index.js";
import { StepArena, cpuBackend } from "../../src/tensor/index.js";
import { sizeClass } from "../../src/tensor/arena.js";
import { Rng } from "../../src/util/rng.js";
import { microConfig, microModel, randomizeAdapter } from "./helpers/micro-model.js";

// The model hands each buffer back to the step arena as soon as it is dead (a layer's saved activations after its
// backward, temporaries after their last read), so a later request of the same step reuses it. A buffer handed
// back too early shows here: the arena poisons it with NaN, or a later request overwrites it, so the step's loss
// or gradients differ from the same step run on fresh buffers, which must agree bit for bit.

type Arch = "llama" | "qwen2" | "qwen3" | "gemma3";

interface Case {
  arch: Arch;
  lora: Partial<LoraConfig>;
  compute: "f32" | "bf16";
  checkpointing: boolean;
  /** QLoRA: every projection held as NF4. */
  nf4?: boolean;
}

const CASES: Record<string, Case> = {
  "llama, all seven projections stacked in groups, f32": { arch: "llama", lora: { targetModules: "all-linear", loraDropout: 0 }, compute: "f32", checkpointing: false },
  "qwen3 (q/k norms), every module alone with dropout, bf16 compute, checkpointing": {
    arch: "qwen3",
    lora: { targetModules: "all-linear", loraDropout: 0.1 },
    compute: "bf16",
    checkpointing: true,
  },
  "gemma3 (sandwich norms, GeGLU, a sliding window), q and v only": { arch: "gemma3", lora: { targetModules: ["q_proj", "v_proj"], loraDropout: 0 }, compute: "f32", checkpointing: false },
  "qwen2 (biases), o and down alone with dropout, bf16 compute": { arch: "qwen2", lora: { targetModules: ["o_proj", "down_proj"], loraDropout: 0.1 }, compute: "bf16", checkpointing: false },
  "llama over NF4 projections (QLoRA), checkpointing": { arch: "llama", lora: { targetModules: "all-linear", loraDropout: 0 }, compute: "f32", checkpointing: true, nf4: true },
};

function batchOf(step: number, tokens: number) {
  const rng = new Rng(200 + step);
  // Two segments with masked prompts: the loss then gathers the trained rows and scatters their gradient back.
  const lengths = [Math.floor(tokens / 2) - step, Math.ceil(tokens / 2) + step];
  return makeBatch(
    lengths.map((n) => {
      const inputIds = Array.from({ length: n }, () => rng.int(50));
      return { inputIds, labels: inputIds.map((v, i) => (i < 3 ? -100 : v)) };
    }),
  );
}

function setup(c: Case, layers = 2) {
  const model = microModel(microConfig(c.arch, { numLayers: layers }), cpuBackend as ModelBackend, 3, "bf16");
  setComputeDtype(model, c.compute);
  for (const { attention: a, mlp: m } of c.nf4 ? model.weights.layers : []) {
    for (const linear of [a.qProj, a.kProj, a.vProj, a.oProj, m.gateProj, m.upProj, m.downProj]) linear.quant = quantizeTensor(linear.weight, quantScheme("nf4"));
  }
  const adapter = buildLoraAdapter(model, loraConfig({ r: 4, loraAlpha: 8, ...c.lora }), { seed: 5 });
  randomizeAdapter(adapter.parameters(), 9);
  attachAdapter(model, adapter);
  return { model, adapter };
}

/** Two training steps and an evaluation: losses, each step's gradients as bytes, and what each left in use. */
function run(c: Case, arena: StepArena | undefined) {
  const { model, adapter } = setup(c);
  const inArena = <T>(fn: () => T): T => (arena ? arena.run(fn) : fn());
  const losses: number[] = [];
  const grads: Buffer[][] = [];
  const leftAfterStep: number[] = [];
  for (let step = 0; step < 2; step++) {
    adapter.zeroGradients();
    const batch = batchOf(step, 24);
    const r = inArena(() => {
      const result = lossAndGradients(model, batch, { normalizer: countTargets(batch), checkpointing: c.checkpointing, dropoutSeed: 11 + step });
      leftAfterStep.push(arena?.inUseBytes ?? 0);
      return result;
    });
    losses.push(r.lossSum);
    grads.push(adapter.gradients().map((g) => Buffer.from((g.data as Float32Array).slice().buffer)));
  }
  const evaluated = inArena(() => {
    const result = computeLoss(model, batchOf(2, 24));
    leftAfterStep.push(arena?.inUseBytes ?? 0);
    return result;
  });
  losses.push(evaluated.lossSum);
  return { losses, grads, leftAfterStep };
}

describe("releasing buffers to the step arena within a step", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`gives the same bits as fresh buffers, and hands back every buffer of a step: ${name}`, () => {
      const fresh = run(c, undefined);
      const arena = new StepArena({ poison: true });
      const reused = run(c, arena);
      assert.deepEqual(reused.losses, fresh.losses);
      assert.ok(fresh.losses.every(Number.isFinite));
      reused.grads.forEach((step, s) => step.forEach((g, i) => assert.ok(g.equals(fresh.grads[s][i]), `step ${s + 1}: gradient ${i} differs`)));
      assert.ok(fresh.grads[0].some((g) => g.some((byte) => byte !== 0)), "the gradients are not all zero");
      // Nothing of a step (or of the evaluation) is left in use when it returns: every buffer was handed back once.
      assert.deepEqual(reused.leftAfterStep, [0, 0, 0]);
    });
  }

  it("holds every layer's saved activations and one layer's temporaries: two more layers add two layers' saved activations", () => {
    // llama micro shape: D 24, 4 heads and 2 kv heads of 8, intermediate 40, all seven projections in groups, r 4.
    const c = CASES["llama, all seven projections stacked in groups, f32"];
    const tokens = 24;
    const peak = (layers: number) => {
      const { model } = setup(c, layers);
      const arena = new StepArena();
      const batch = batchOf(0, tokens);
      arena.run(() => lossAndGradients(model, batch, { normalizer: countTargets(batch) }));
      return arena.lastRunPeakBytes;
    };
    // What a layer keeps for its backward, by tensor: input, rstd, attention input, q, k, v, attention out, lse,
    // the o adapter's x·Aᵀ, the q/k/v group's x·Aᵀ, h, rstd, MLP input, gate, up, act, the gate/up group's, down's.
    const [d, q, kv, f, r] = [24, 32, 16, 40, 4];
    const saved = [d, 1, d, q, kv, kv, q, 4, r, 3 * r, d, 1, d, f, f, f, 2 * r, r].reduce((bytes, width) => bytes + sizeClass(width * tokens) * 4, 0);
    const perTwoLayers = peak(4) - peak(2);
    assert.ok(perTwoLayers >= 2 * saved, `two more layers added ${perTwoLayers} bytes, less than their saved activations (${2 * saved})`);
    // Without releases each layer also kept its forward's and backward's temporaries to the step's end (2.27× its
    // saved activations here); the slack is for requests served by a free buffer of a larger class.
    assert.ok(perTwoLayers <= 1.15 * 2 * saved, `two more layers added ${perTwoLayers} bytes, over 1.15× their saved activations (${2 * saved})`);
  });
});
