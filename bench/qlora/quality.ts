// QLoRA quality on a random-initialized preset: per-projection output error of the NF4 linears against the
// bf16 ones (beside the weight-space error NF4 is expected to give on those weights), the KL divergence of the
// NF4 model's next-token distribution from the bf16 model's, and a short LoRA loss curve on both bases.
//   npx tsx bench/qlora/quality.ts MODEL_DIR [--steps N] [--seq T]
import { Tensor, cpuBackend, linear } from "../../src/tensor/index.js";
import { forwardLogits, loadModel, lossAndGradients, makeBatch } from "../../src/model/index.js";
import type { FrozenLinear, Model } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import { quantLinear } from "../../src/quant/index.js";
import { Rng } from "../../src/util/rng.js";

const dir = process.argv[2];
const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const steps = Number(option("--steps", "8"));
const seq = Number(option("--seq", "64"));
const rng = new Rng(7);
const gaussian = (n: number) => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
};

const bf16 = loadModel(dir, { dtype: "bf16" });
const nf4 = loadModel(dir, { dtype: "bf16", quantization: "nf4" });
const projections = (m: Model, layer: number) => ({ ...m.weights.layers[layer].attention, ...m.weights.layers[layer].mlp }) as unknown as Record<string, FrozenLinear>;
const names = ["qProj", "kProj", "vProj", "oProj", "gateProj", "upProj", "downProj"] as const;
for (const layer of [0, bf16.config.numLayers - 1]) {
  const row: Record<string, string> = {};
  for (const name of names) {
    const w = projections(bf16, layer)[name].weight;
    const q = projections(nf4, layer)[name];
    const x = new Tensor("f32", [32, w.shape[1]], gaussian(32 * w.shape[1]));
    const yRef = linear(cpuBackend, x, w);
    const y = quantLinear(cpuBackend, x, q.quant!);
    const wErr = rel(q.weight.data, w.to("f32").data);
    row[name] = `out ${rel(y.data, yRef.data).toFixed(4)} / weight ${wErr.toFixed(4)}`;
  }
  console.log(JSON.stringify({ layer, relative_error: row }));
}

function klAndAgreement(a: Model, b: Model): { kl: number; top1: number } {
  const ids = Array.from({ length: 128 }, () => 3 + rng.int(a.config.vocabSize - 3));
  const batch = makeBatch([{ inputIds: ids }]);
  const p = forwardLogits(a, batch);
  const q = forwardLogits(b, batch);
  const V = a.config.vocabSize;
  let kl = 0;
  let agree = 0;
  for (let t = 0; t < ids.length; t++) {
    const row = (l: Tensor) => Array.from(l.data.subarray(t * V, (t + 1) * V) as Float32Array);
    const lp = row(p);
    const lq = row(q);
    const lse = (l: number[]) => {
      const m = Math.max(...l);
      return m + Math.log(l.reduce((s, v) => s + Math.exp(v - m), 0));
    };
    const zp = lse(lp);
    const zq = lse(lq);
    for (let i = 0; i < V; i++) kl += Math.exp(lp[i] - zp) * (lp[i] - zp - (lq[i] - zq));
    if (lp.indexOf(Math.max(...lp)) === lq.indexOf(Math.max(...lq))) agree++;
  }
  return { kl: kl / ids.length, top1: agree / ids.length };
}
console.log(JSON.stringify({ logits_vs_bf16: klAndAgreement(bf16, nf4) }));

function curve(model: Model): number[] {
  const adapter = buildLoraAdapter(model, loraConfig({ r: 16, loraAlpha: 32, targetModules: "all-linear" }));
  attachAdapter(model, adapter);
  const moments = adapter.parameters().map((p) => ({ m: Tensor.zeros(p.shape), v: Tensor.zeros(p.shape) }));
  const r = new Rng(3);
  // A learnable task: each sequence repeats a random 8-token motif.
  const batch = makeBatch(Array.from({ length: 2 }, () => {
    const motif = Array.from({ length: 8 }, () => 3 + r.int(200));
    return { inputIds: Array.from({ length: seq }, (_, i) => motif[i % 8]) };
  }));
  const losses: number[] = [];
  for (let n = 1; n <= steps; n++) {
    adapter.zeroGradients();
    losses.push(+lossAndGradients(model, batch, { checkpointing: true }).loss.toFixed(4));
    const grads = adapter.gradients();
    adapter.parameters().forEach((p, i) => cpuBackend.adamwStep(p, grads[i], moments[i].m, moments[i].v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: n }));
  }
  return losses;
}
console.log(JSON.stringify({ loss_curve: { bf16_lora: curve(bf16), qlora: curve(nf4) } }));
