import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Backend } from "../../src/tensor/index.js";
import { Tensor, cpuBackend, nativeInfo, referenceBackend } from "../../src/tensor/index.js";
import type { Model, ModelConfig } from "../../src/model/index.js";
import { createModel, forwardLogits, lossAndGradients, makeBatch } from "../../src/model/index.js";
import type { LoraAdapter } from "../../src/lora/index.js";
import { LoraLinear, buildLoraAdapter, loraConfig, stackedModules } from "../../src/lora/index.js";
import { Rng } from "../../src/util/rng.js";
import { bitIdentical, randomTensor, relativeError } from "../helpers/numeric.js";
import { withNative } from "../helpers/native-paths.js";
import { microConfig, randomWeights, randomizeAdapter } from "../model/helpers/micro-model.js";

// The grouped LoRA path (q/k/v's, and gate/up's, x·Aᵀ, dA and dx as one GEMM each over A stacked [Σr, in]) against
// the same modules run one by one, on one model and batch. f32 sums over K ≤ 64 terms taken in another order differ
// by ~1e-7 relative; 1e-5 leaves margin and still catches a wrong block, scale or missing term (O(1)). In float64
// the two agree to rounding (1e-12).
const F32_TOL = 1e-5;
const F64_TOL = 1e-12;

const config = microConfig("llama", { hiddenSize: 64, intermediateSize: 96, numHeads: 4, numKvHeads: 2, headDim: 16 });

/** The same modules, each with its own A, gradients and no group: the per-projection path. */
function alone(modules: ReadonlyMap<string, LoraLinear>): Map<string, LoraLinear> {
  const copy = (t: Tensor) => t.to(t.dtype);
  const zeros = (t: Tensor) => Tensor.zeros(t.shape, t.dtype);
  return new Map(
    [...modules].map(([path, m]) => [path, new LoraLinear(path, copy(m.a), copy(m.b), zeros(m.gradA), zeros(m.gradB), m.scale, m.dropout, m.dropoutStream)]),
  );
}

/** GEMM calls whose B is not a frozen weight (the LoRA products), counted through a proxy of the backend. */
function counting(backend: Backend, model: Model): { backend: Backend; lora: () => number } {
  const frozen = new Set<Tensor>(model.weights.layers.flatMap(({ attention: a, mlp: m }) => [a.qProj, a.kProj, a.vProj, a.oProj, m.gateProj, m.upProj, m.downProj].map((l) => l.weight)));
  let calls = 0;
  const proxy = new Proxy(backend, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== "gemm" || typeof value !== "function") return value;
      return (a: Tensor, b: Tensor, options?: object) => {
        if (!frozen.has(b)) calls++;
        return value.call(target, a, b, options);
      };
    },
  });
  return { backend: proxy, lora: () => calls };
}

interface Outcome {
  loss: number;
  logits: Tensor;
  grads: Tensor[];
  loraGemms: number;
}

/** One training step's loss and accumulated gradients (and the eval logits) with `modules` attached. */
function step(backend: Backend, cfg: ModelConfig, modules: ReadonlyMap<string, LoraLinear>, dtype: "f32" | "f64", dropoutSeed = 5): Outcome {
  const base = createModel(cfg, randomWeights(cfg, 4, dtype), backend);
  const counter = counting(backend, base);
  const model = { ...base, backend: counter.backend, adapters: new Map(modules) };
  // Gradients start non-zero, so a product that overwrites them instead of accumulating shows.
  for (const m of modules.values()) {
    m.gradA.data.fill(0.5);
    m.gradB.data.fill(0.5);
  }
  const rng = new Rng(3);
  const seq = (n: number) => Array.from({ length: n }, () => rng.int(cfg.vocabSize));
  const batch = makeBatch([{ inputIds: seq(23) }, { inputIds: seq(14) }]);
  const { loss } = lossAndGradients(model, batch, { dropoutSeed });
  const loraGemms = counter.lora();
  return { loss, logits: forwardLogits(model, batch), grads: [...modules.values()].flatMap((m) => [m.gradA.to(m.gradA.dtype), m.gradB.to(m.gradB.dtype)]), loraGemms };
}

function assertClose(got: Outcome, want: Outcome, tol: number): void {
  assert.ok(Math.abs(got.loss - want.loss) <= tol * Math.abs(want.loss), `loss ${got.loss} vs ${want.loss}`);
  assert.ok(relativeError(got.logits, want.logits) < tol, `logits: ${relativeError(got.logits, want.logits)}`);
  got.grads.forEach((g, i) => assert.ok(relativeError(g, want.grads[i]) < tol, `gradient ${i}: ${relativeError(g, want.grads[i])}`));
}

function adapterFor(targets: string[] | string, dtype: "f32" | "f64", loraDropout = 0): LoraAdapter {
  const model = createModel(config, randomWeights(config, 4, dtype), dtype === "f64" ? referenceBackend : cpuBackend);
  const adapter = buildLoraAdapter(model, loraConfig({ r: 4, loraAlpha: 8, loraDropout, targetModules: targets }), { dtype, seed: 2 });
  randomizeAdapter(adapter.parameters(), 9, 0.2);
  return adapter;
}

describe("LoRA groups: one GEMM per shared input", () => {
  it("all-linear groups q/k/v and gate/up, their A (and gradients) rows of one tensor", () => {
    const adapter = adapterFor("all-linear", "f32");
    const at = (name: string) => adapter.modules.get(`model.layers.1.${name}`) as LoraLinear;
    const [q, k, v] = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"].map(at);
    assert.deepEqual(q.group?.members, [q, k, v]);
    assert.deepEqual(at("mlp.gate_proj").group?.members, [at("mlp.gate_proj"), at("mlp.up_proj")]);
    assert.equal(at("self_attn.o_proj").group, undefined);
    assert.equal(at("mlp.down_proj").group, undefined);
    for (const name of ["a", "gradA"] as const) {
      assert.equal(q[name].data.buffer, v[name].data.buffer);
      assert.equal(k[name].data.byteOffset, q[name].data.byteOffset + q[name].data.byteLength);
      assert.equal(v[name].data.byteOffset, k[name].data.byteOffset + k[name].data.byteLength);
    }
  });

  it("all-linear on the native kernels: loss, logits and every gradient equal the per-module path, with 16 fewer LoRA GEMMs", () => {
    const adapter = adapterFor("all-linear", "f32");
    const grouped = step(cpuBackend, config, adapter.modules, "f32");
    const each = step(cpuBackend, config, alone(adapter.modules), "f32");
    assertClose(grouped, each, F32_TOL);
    // Per group of n modules: forward 1 + n GEMMs instead of 2n; backward 2n + 2 instead of 4n (with dx), 2n + 1
    // instead of 3n without (layer 0's q/k/v). Two layers: (2 + 4) + (2 + 2) for q/k/v, 2·(1 + 2) for gate/up.
    assert.equal(each.loraGemms - grouped.loraGemms, 16);
  });

  it("float64 reference: the grouped path equals the per-module path to rounding", () => {
    const adapter = adapterFor("all-linear", "f64");
    assertClose(step(referenceBackend, config, adapter.modules, "f64"), step(referenceBackend, config, alone(adapter.modules), "f64"), F64_TOL);
  });

  it("partial targeting (q/v and gate/up) groups what is adapted", () => {
    const adapter = adapterFor(["q_proj", "v_proj", "gate_proj", "up_proj"], "f32");
    const q = adapter.modules.get("model.layers.0.self_attn.q_proj") as LoraLinear;
    assert.deepEqual(q.group?.members, [q, adapter.modules.get("model.layers.0.self_attn.v_proj")]);
    const grouped = step(cpuBackend, config, adapter.modules, "f32");
    const each = step(cpuBackend, config, alone(adapter.modules), "f32");
    assertClose(grouped, each, F32_TOL);
    assert.ok(grouped.loraGemms < each.loraGemms);
  });

  it("different ranks per module (2, 3, 5 for q/k/v; 1, 6 for gate/up)", () => {
    const ranks: Record<string, number> = { q_proj: 2, k_proj: 3, v_proj: 5, gate_proj: 1, up_proj: 6 };
    const shapes = { q_proj: [64, 64], k_proj: [32, 64], v_proj: [32, 64], gate_proj: [96, 64], up_proj: [96, 64] } as Record<string, [number, number]>;
    const modules = new Map<string, LoraLinear>();
    let seed = 20;
    for (let layer = 0; layer < config.numLayers; layer++) {
      for (const [group, names] of [["self_attn", ["q_proj", "k_proj", "v_proj"]], ["mlp", ["gate_proj", "up_proj"]]] as const) {
        const members = names.map((name) => {
          const [out, inFeatures] = shapes[name];
          const r = ranks[name];
          const path = `model.layers.${layer}.${group}.${name}`;
          return new LoraLinear(path, randomTensor([r, inFeatures], seed++, "f32", 0.2), randomTensor([out, r], seed++, "f32", 0.2), Tensor.zeros([r, inFeatures]), Tensor.zeros([out, r]), 8 / r, 0, seed);
        });
        for (const m of stackedModules(members)) modules.set(m.path, m);
      }
    }
    const grouped = step(cpuBackend, config, modules, "f32");
    assertClose(grouped, step(cpuBackend, config, alone(modules), "f32"), F32_TOL);
  });

  it("lora_dropout > 0 in training keeps each module's own mask: bit-identical to the per-module path; eval still groups", () => {
    const adapter = adapterFor("all-linear", "f32", 0.25);
    const grouped = step(cpuBackend, config, adapter.modules, "f32");
    const each = step(cpuBackend, config, alone(adapter.modules), "f32");
    assert.equal(grouped.loss, each.loss);
    assert.equal(grouped.loraGemms, each.loraGemms);
    grouped.grads.forEach((g, i) => assert.ok(bitIdentical(g, each.grads[i]), `gradient ${i}`));
    // Without training there is no dropout: the eval forward (logits) runs grouped, equal within f32 tolerance.
    assert.ok(relativeError(grouped.logits, each.logits) < F32_TOL);
  });

  it("every kernel path: bit-identical for 1, 2 and 3 threads, and equal to the per-module path", () => {
    const adapter = adapterFor("all-linear", "f32");
    for (const isa of nativeInfo().isas) {
      const runs = [1, 2, 3].map((threads) => withNative({ isa, threads }, () => step(cpuBackend, config, adapter.modules, "f32")));
      for (const run of runs.slice(1)) {
        assert.equal(run.loss, runs[0].loss, `${isa}: loss differs across thread counts`);
        run.grads.forEach((g, i) => assert.ok(bitIdentical(g, runs[0].grads[i]), `${isa}: gradient ${i} differs across thread counts`));
        assert.ok(bitIdentical(run.logits, runs[0].logits), `${isa}: logits differ across thread counts`);
      }
      const each = withNative({ isa, threads: 2 }, () => step(cpuBackend, config, alone(adapter.modules), "f32"));
      assertClose(runs[0], each, F32_TOL);
    }
  });
});
