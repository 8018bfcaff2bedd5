// One measured configuration of loraforge, in its own process so its peak RSS is its own:
//   node --import tsx bench/train-step/ours.ts MODEL_DIR IDS.json STEPS [WEIGHTS f32|bf16] [COMPUTE f32|bf16] [BUFFERS arena|fresh]
// (arena: the step's buffers come from a StepArena, as in training; fresh: each op allocates new ones.)
// Prints one JSON line: tokens/s, seconds per step, peak RSS, minor page faults per step, time per op group, and
// with the arena the most bytes its last step had in use at once (arenaPeakMiB).
import fs from "node:fs";
import type { Backend } from "../../src/tensor/index.js";
import { StepArena, Tensor, cpuBackend } from "../../src/tensor/index.js";
import { createModel, loadModel, lossAndGradients, makeBatch, setComputeDtype } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";

const [dir, idsFile, stepsArg, weightsArg = "bf16", computeArg = "f32", buffersArg = "arena"] = process.argv.slice(2);
const sequences = JSON.parse(fs.readFileSync(idsFile, "utf8")) as number[][];
const steps = Number(stepsArg);

/**
 * Wall time per backend method, so the step splits into GEMMs (the frozen projections', whose B is a base weight,
 * and the LoRA products), attention, loss and the rest.
 */
const frozen = new Set<Tensor>();
const opTime = new Map<string, number>();
const timed = new Proxy(cpuBackend, {
  get(target, name, receiver) {
    const value = Reflect.get(target, name, receiver);
    if (typeof value !== "function") return value;
    return (...args: unknown[]) => {
      const start = performance.now();
      const result = value.apply(target, args);
      const key = name === "gemm" ? (frozen.has(args[1] as Tensor) ? "gemm-base" : "gemm-lora") : String(name);
      opTime.set(key, (opTime.get(key) ?? 0) + performance.now() - start);
      return result;
    };
  },
}) as Backend;

const loaded = loadModel(dir, { dtype: weightsArg === "f32" ? "f32" : "bf16" });
const model = createModel(loaded.config, loaded.weights, timed, loaded.eosTokenIds);
for (const { attention: a, mlp: m } of loaded.weights.layers) {
  for (const linear of [a.qProj, a.kProj, a.vProj, a.oProj, m.gateProj, m.upProj, m.downProj]) frozen.add(linear.weight);
}
setComputeDtype(model, computeArg === "bf16" ? "bf16" : "f32");
const adapter = buildLoraAdapter(model, loraConfig({ r: 16, loraAlpha: 32, targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] }));
attachAdapter(model, adapter);
const moments = adapter.parameters().map((p) => ({ m: Tensor.zeros(p.shape), v: Tensor.zeros(p.shape) }));
const batch = makeBatch(sequences.map((s) => ({ inputIds: s })));
const tokens = batch.inputIds.length;

const arena = buffersArg === "arena" ? new StepArena() : undefined;

function step(n: number): void {
  adapter.zeroGradients();
  if (arena) arena.run(() => lossAndGradients(model, batch));
  else lossAndGradients(model, batch);
  const params = adapter.parameters();
  const grads = adapter.gradients();
  params.forEach((p, i) => timed.adamwStep(p, grads[i], moments[i].m, moments[i].v, { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: n }));
}

step(1); // warm-up
opTime.clear();
const faultsBefore = process.resourceUsage().minorPageFault;
const start = performance.now();
for (let n = 0; n < steps; n++) step(n + 2);
const seconds = (performance.now() - start) / 1000 / steps;
const minorFaultsPerStep = (process.resourceUsage().minorPageFault - faultsBefore) / steps;
const groups: Record<string, number> = { "gemm-base": 0, "gemm-lora": 0, attention: 0, loss: 0, rest: 0 };
for (const [name, ms] of opTime) {
  const group = name.startsWith("gemm") ? name : name.startsWith("attention") ? "attention" : name === "crossEntropyLinear" ? "loss" : "rest";
  groups[group] += ms / 1000 / steps;
}
groups.rest += seconds - Object.values(groups).reduce((a, b) => a + b, 0); // TypeScript glue outside the kernels
const arenaPeakMiB = arena ? arena.lastRunPeakBytes / 2 ** 20 : undefined;
console.log(JSON.stringify({ tokensPerSecond: tokens / seconds, secondsPerStep: seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, minorFaultsPerStep, perOp: groups, arenaPeakMiB }));
