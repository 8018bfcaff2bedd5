import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { mergeToFolder } from "../../src/export/index.js";
import { ARCHS, CASE, columns, loadModel, logitsWith, relError, tempFolder } from "../model/interop/case.js";
import { B_BOUND, MERGE_CASES, PROJECTIONS, writeHashedAdapter } from "./merge-case.js";

// Re-checks, without Python, what interop/steps/50_merge_peft.py recorded: the logits (32 of 256 columns) of
// PeftModel(base, adapter).merge_and_unload() in f32, and of the same merge rounded once to bf16, for the adapters
// of merge-case.ts on each architecture's init-model folder. Here the same base and adapter are rebuilt, merged
// by mergeToFolder at f32 and bf16, and run through our forward. In the interop step transformers on our merged
// folders matched merge_and_unload bit for bit (weights and logits, error 0 at both dtypes), so what is left is our
// forward vs transformers' (measured ≤ 8.7e-7 for these folders); bound 1e-5. The adapters move the logits by
// 0.66 (plain) and 1.07 (rsLoRA) relative, so a merge with the wrong scale, a transposed or missing B·A fails.
const BOUND = 1e-5;

interface GoldenCase {
  recipe: { name: string; seed: number; r: number; lora_alpha: number; use_rslora: boolean };
  f32_logits: number[][];
  bf16_logits: number[][];
}

interface Golden {
  projections: string[];
  b_bound: number;
  cases: Record<string, GoldenCase>;
}

describe("merge golden files from PEFT merge_and_unload", () => {
  for (const arch of ARCHS) {
    it(`${arch}: loraforge merge at f32 and bf16 gives merge_and_unload's logits, plain and rsLoRA`, (t) => {
      const file = path.join("test", "golden", `merge_${arch}.json`);
      assert.ok(fs.existsSync(file), `${file} is missing: run npm run test:interop`);
      const golden = JSON.parse(fs.readFileSync(file, "utf8")) as Golden;
      assert.deepEqual(golden.projections, PROJECTIONS);
      assert.equal(golden.b_bound, B_BOUND);
      const dir = tempFolder(arch);
      try {
        for (const c of MERGE_CASES) {
          const g = golden.cases[c.name];
          assert.deepEqual(g.recipe, { name: c.name, seed: c.seed, r: c.r, lora_alpha: c.loraAlpha, use_rslora: c.useRslora });
          const adapter = path.join(dir, `${c.name}-adapter`);
          writeHashedAdapter(adapter, dir, c);
          for (const dtype of ["f32", "bf16"] as const) {
            const out = path.join(dir, `${c.name}-${dtype}`);
            mergeToFolder({ model: dir, adapter, out, dtype });
            const ref = (dtype === "f32" ? g.f32_logits : g.bf16_logits).flat();
            const ours = columns(logitsWith(loadModel(out)).data as Float32Array, CASE.vocabSize, g.f32_logits[0].length);
            const err = relError(ours, ref);
            t.diagnostic(`${c.name} ${dtype}: ${err.toExponential(2)}`);
            assert.ok(err <= BOUND, `${c.name} ${dtype}: ${err}`);
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
