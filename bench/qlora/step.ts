// One measured training step configuration, in its own process so its peak RSS is its own:
//   node --import tsx bench/qlora/step.ts MODEL_DIR lora|qlora BATCH SEQ_LEN CHECKPOINTING(0|1) STEPS [DROPOUT]
// LoRA r = 16 on all seven projections, AdamW, random token ids, every token trained; the base is bf16 (lora)
// or NF4 with double quantization (qlora). Prints one JSON line: peak RSS, RSS before loading, tokens/s, and
// the bytes held by the quantized linears.
import { Tensor, cpuBackend } from "../../src/tensor/index.js";
import { loadModel, lossAndGradients, makeBatch } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import { Rng } from "../../src/util/rng.js";

const [dir, method, batchArg, seqArg, ckptArg, stepsArg, dropoutArg] = process.argv.slice(2);
const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
const model = loadModel(dir, method === "qlora" ? { dtype: "bf16", quantization: "nf4" } : { dtype: "bf16" });
const loadedRssMiB = process.memoryUsage().rss / 2 ** 20;
let linearBytes = 0;
let linearParams = 0;
for (const l of model.weights.layers) {
  for (const p of [l.attention.qProj, l.attention.kProj, l.attention.vProj, l.attention.oProj, l.mlp.gateProj, l.mlp.upProj, l.mlp.downProj]) {
    if (p.quant) {
      linearBytes += p.quant.byteLength;
      linearParams += p.quant.numel;
    } else {
      linearBytes += p.weight.data.byteLength;
      linearParams += p.weight.numel;
    }
  }
}
const adapter = buildLoraAdapter(model, loraConfig({ r: 16, loraAlpha: 32, loraDropout: Number(dropoutArg ?? 0.05), targetModules: "all-linear" }));
attachAdapter(model, adapter);
const moments = adapter.parameters().map((p) => ({ m: Tensor.zeros(p.shape), v: Tensor.zeros(p.shape) }));
const rng = new Rng(1);
const seqLen = Number(seqArg);
const batch = makeBatch(Array.from({ length: Number(batchArg) }, () => ({ inputIds: Array.from({ length: seqLen }, () => 3 + rng.int(model.config.vocabSize - 3)) })));
const checkpointing = ckptArg === "1";

function step(n: number): number {
  adapter.zeroGradients();
  const r = lossAndGradients(model, batch, { checkpointing, dropoutSeed: n });
  const params = adapter.parameters();
  const grads = adapter.gradients();
  params.forEach((p, i) => cpuBackend.adamwStep(p, grads[i], moments[i].m, moments[i].v, { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: n }));
  return r.loss;
}

const steps = Number(stepsArg ?? 1);
const start = performance.now();
let loss = 0;
for (let n = 1; n <= steps; n++) loss = step(n);
const seconds = (performance.now() - start) / 1000 / steps;
console.log(
  JSON.stringify({
    method,
    batch: Number(batchArg),
    seqLen,
    checkpointing,
    loss,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    baselineRssMiB,
    loadedRssMiB,
    secondsPerStep: seconds,
    tokensPerSecond: batch.inputIds.length / seconds,
    linearParams,
    linearBytes,
    bytesPerLinearParam: linearBytes / linearParams,
  }),
);
