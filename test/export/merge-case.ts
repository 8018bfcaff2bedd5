import { writeAdapterFolder } from "../../src/formats/index.js";
import { loraConfig } from "../../src/lora/index.js";
import { linearModuleShapes, readModelFolder } from "../../src/model/index.js";
import { Tensor } from "../../src/tensor/index.js";

/**
 * The adapters of the merge interop check (interop/steps/50_merge_peft.py builds the same ones in Python and
 * saves them with PEFT): r 8, alpha 16 on all seven projections, plain and rsLoRA, on the init-model folders of
 * test/model/interop/case.ts. Their A and B are a counter hash, integer-exact in both languages, so npm test
 * rebuilds them bit for bit without storing them: entry k of a factor is (2·h/2³² − 1)·bound with
 * h = mix32(seed·0x9E3779B9 + k), bound 1/√in for A and B_BOUND for B, and seed = caseSeed·65536 + layer·16 +
 * module·2 + (0 for A, 1 for B), the module counted in PROJECTIONS order.
 */
export const PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export const B_BOUND = 0.05;
export const MERGE_CASES = [
  { name: "lora", seed: 1, r: 8, loraAlpha: 16, useRslora: false },
  { name: "rslora", seed: 2, r: 8, loraAlpha: 16, useRslora: true },
] as const;
export type MergeCase = (typeof MERGE_CASES)[number];

function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function hashedFactor(seed: number, count: number, bound: number): Float32Array {
  const base = Math.imul(seed, 0x9e3779b9) >>> 0;
  return Float32Array.from({ length: count }, (_, k) => ((2 * mix32((base + k) >>> 0)) / 4294967296 - 1) * bound);
}

/** Writes the case's adapter for the base folder `baseDir` into `dir`. */
export function writeHashedAdapter(dir: string, baseDir: string, c: MergeCase): void {
  const weights = new Map<string, { A: Tensor; B: Tensor }>();
  for (const [module, [out, inp]] of linearModuleShapes(readModelFolder(baseDir).config)) {
    const [, layer, , proj] = module.split(".").slice(1);
    const m = PROJECTIONS.indexOf(proj as (typeof PROJECTIONS)[number]);
    const seed = c.seed * 65536 + Number(layer) * 16 + m * 2;
    weights.set(module, {
      A: new Tensor("f32", [c.r, inp], hashedFactor(seed, c.r * inp, 1 / Math.sqrt(inp))),
      B: new Tensor("f32", [out, c.r], hashedFactor(seed + 1, out * c.r, B_BOUND)),
    });
  }
  const config = loraConfig({ r: c.r, loraAlpha: c.loraAlpha, useRslora: c.useRslora, targetModules: [...PROJECTIONS], baseModelNameOrPath: baseDir });
  writeAdapterFolder(dir, { config, weights });
}
