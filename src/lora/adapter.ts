import type { DType } from "../tensor/index.js";
import { Tensor } from "../tensor/index.js";
import type { LoraWeights } from "../formats/index.js";
import type { Model } from "../model/index.js";
import { linearModuleShapes, sharedInputGroups } from "../model/index.js";
import { ConfigError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import type { LoraConfig } from "./config.js";
import { loraScale } from "./config.js";
import { LoraLinear } from "./lora-linear.js";
import { stackedModules } from "./lora-group.js";
import { selectTargets } from "./target-modules.js";

/** A LoRA adapter for one base model: its config and one LoraLinear per targeted module, in model order. */
export class LoraAdapter {
  constructor(
    readonly config: LoraConfig,
    readonly modules: Map<string, LoraLinear>,
  ) {}

  /** Every trainable tensor, A then B per module, and the matching gradients in the same order. */
  parameters(): Tensor[] {
    return [...this.modules.values()].flatMap((m) => [m.a, m.b]);
  }

  gradients(): Tensor[] {
    return [...this.modules.values()].flatMap((m) => [m.gradA, m.gradB]);
  }

  zeroGradients(): void {
    for (const g of this.gradients()) g.data.fill(0);
  }

  /** Number of trainable values. */
  get size(): number {
    return this.parameters().reduce((n, t) => n + t.numel, 0);
  }

  /** The A/B tensors by module path (shared, not copied): what adapter files hold. */
  weights(): LoraWeights {
    return new Map([...this.modules].map(([path, m]) => [path, { A: m.a, B: m.b }]));
  }
}

/** Linear module paths of the model with their [out, in], lm_head last. */
function modelLinears(model: Model): Map<string, [number, number]> {
  const shapes = linearModuleShapes(model.config);
  shapes.set("lm_head", [model.config.vocabSize, model.config.hiddenSize]);
  return shapes;
}

/**
 * An adapter built from given A/B tensors (a loaded file), or freshly initialized as PEFT does (A kaiming-uniform
 * ±1/√in or gaussian, B zeros) from `seed` when `weights` is absent. Parameters and gradients are `dtype`
 * (f32 for the cpu backend; f64 for float64 checks on the reference backend).
 */
export function buildLoraAdapter(
  model: Model,
  config: LoraConfig,
  options: { seed?: number; dtype?: DType; weights?: LoraWeights } = {},
): LoraAdapter {
  const dtype = options.dtype ?? "f32";
  const shapes = modelLinears(model);
  const targets = options.weights ? [...options.weights.keys()] : selectTargets(config, [...shapes.keys()]);
  if (!options.weights) checkRank(config.r, targets, shapes);
  const rng = new Rng(options.seed ?? 0);
  const scale = loraScale(config);
  const modules = new Map<string, LoraLinear>();
  for (const [index, path] of targets.entries()) {
    const shape = shapes.get(path);
    if (!shape || path === "lm_head") throw new ConfigError(`LoRA module ${path} is not a decoder linear layer of this model`);
    const [out, inFeatures] = shape;
    const given = options.weights?.get(path);
    const a = given ? checked(given.A, [config.r, inFeatures], path, "lora_A").to(dtype) : initA(rng, config, inFeatures, dtype);
    const b = given ? checked(given.B, [out, config.r], path, "lora_B").to(dtype) : initB(rng, config, out, dtype);
    modules.set(path, new LoraLinear(path, a, b, Tensor.zeros(a.shape, dtype), Tensor.zeros(b.shape, dtype), scale, config.loraDropout, index));
  }
  // Modules of layers that read one input share stacked A storage and run as one group (src/lora/lora-group.ts).
  for (const paths of sharedInputGroups(targets)) {
    const members = stackedModules(paths.map((path) => modules.get(path) as LoraLinear));
    paths.forEach((path, i) => modules.set(path, members[i]));
  }
  return new LoraAdapter(config, modules);
}

/**
 * A rank above min(in, out) adds parameters without adding capacity (the product B·A cannot exceed that rank), and
 * is almost always a typo; refused before anything is allocated.
 */
function checkRank(r: number, targets: readonly string[], shapes: ReadonlyMap<string, readonly number[]>): void {
  for (const path of targets) {
    const shape = shapes.get(path);
    if (!shape) continue;
    const [out, inFeatures] = shape;
    const limit = Math.min(out, inFeatures);
    if (r > limit) {
      throw new ConfigError(`lora.r ${r} is above min(in, out) = ${limit} of ${path} [${out} × ${inFeatures}]`, {
        hint: `choose r <= ${limit}, or leave that module out of lora.target_modules`,
      });
    }
  }
}

/** PEFT's A: kaiming-uniform with a = √5, i.e. U(±1/√in), or N(0, 1/r²) for "gaussian". */
function initA(rng: Rng, config: LoraConfig, inFeatures: number, dtype: DType): Tensor {
  if (config.initLoraWeights === "gaussian") return filled([config.r, inFeatures], dtype, () => rng.normal() / config.r);
  const bound = 1 / Math.sqrt(inFeatures);
  return filled([config.r, inFeatures], dtype, () => rng.uniform(-bound, bound));
}

/** PEFT's B: zeros (the adapter starts as a no-op), or nn.Linear's default U(±1/√r) with init_lora_weights false. */
function initB(rng: Rng, config: LoraConfig, outFeatures: number, dtype: DType): Tensor {
  if (config.initLoraWeights !== false) return Tensor.zeros([outFeatures, config.r], dtype);
  const bound = 1 / Math.sqrt(config.r);
  return filled([outFeatures, config.r], dtype, () => rng.uniform(-bound, bound));
}

function filled(shape: number[], dtype: DType, draw: () => number): Tensor {
  const t = Tensor.zeros(shape, dtype);
  for (let i = 0; i < t.numel; i++) t.set(i, draw());
  return t;
}

function checked(t: Tensor, shape: number[], path: string, name: string): Tensor {
  if (t.rank !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
    throw new ConfigError(`LoRA ${path}.${name} is [${t.shape.join(", ")}] but this model needs [${shape.join(", ")}]`, {
      hint: "the adapter was made for another base model or another rank",
    });
  }
  return t;
}

/** Attaches the adapter to the model (replacing any attached one): the model's forward now adds it. */
export function attachAdapter(model: Model, adapter: LoraAdapter): void {
  model.adapters.clear();
  for (const [path, module] of adapter.modules) model.adapters.set(path, module);
}

export function detachAdapter(model: Model): void {
  model.adapters.clear();
}
