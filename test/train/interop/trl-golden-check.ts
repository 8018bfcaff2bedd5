import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { makeCaseModel, runOurs } from "./trl-case.js";

// Re-checks a golden file recorded from a TRL run of the case (interop/steps/30_trl_sft.py, 50_export_job.py):
// our same 20 optimizer steps from the same adapter on the same batches. Per-step loss within 1e-3 relative (the
// interop suite's bound); the final adapter through each tensor's norm (1e-3) and its update since the start: the
// update's norm and strided entries (1e-2: the update is small beside the tensor, so its relative error is the
// sharper test).

export interface GoldenStep {
  loss: number;
  /** Counted targets (absent where the peer does not log them). */
  targets?: number;
  lr: number;
  grad_norm: number;
}

export interface TrlGolden {
  versions: Record<string, string>;
  case: unknown;
  steps: GoldenStep[];
  adapter: Record<string, { norm: number; update_norm: number; update_samples: number[] }>;
}

const KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

function norm(values: ArrayLike<number>): number {
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += values[i] ** 2;
  return Math.sqrt(sq);
}

function relError(ours: number[], ref: number[]): number {
  return norm(ours.map((v, i) => v - ref[i])) / norm(ref);
}

/** Runs our side of the case in a scratch folder and asserts it matches `golden` step by step and in the adapter. */
export function checkAgainstTrlGolden(golden: TrlGolden): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-trl-golden-"));
  try {
    makeCaseModel(path.join(dir, "model"));
    const { steps, adapter, initial } = runOurs(path.join(dir, "model"), path.join(dir, "out"));
    assert.equal(steps.length, golden.steps.length);
    steps.forEach((s, i) => {
      const ref = golden.steps[i];
      if (ref.targets !== undefined) assert.equal(s.targets, ref.targets, `step ${s.step}: counted targets`);
      assert.ok(Math.abs(s.learningRate - ref.lr) <= 1e-12, `step ${s.step}: learning rate ${s.learningRate} vs ${ref.lr}`);
      const lossErr = Math.abs(s.loss - ref.loss) / ref.loss;
      assert.ok(lossErr <= 1e-3, `step ${s.step}: loss ${s.loss} vs TRL ${ref.loss} (relative ${lossErr})`);
      const normErr = Math.abs(s.gradNorm - ref.grad_norm) / ref.grad_norm;
      assert.ok(normErr <= 1e-3, `step ${s.step}: gradient norm ${s.gradNorm} vs TRL ${ref.grad_norm}`);
    });
    const keys = Object.keys(golden.adapter);
    assert.equal(keys.length, adapter.modules.size * 2, "adapter tensors");
    for (const key of keys) {
      const match = KEY.exec(key);
      assert.ok(match, key);
      const [, module, factor] = match;
      const m = adapter.modules.get(module);
      assert.ok(m, `no module ${module} in our adapter`);
      const ref = golden.adapter[key];
      const final = Array.from((factor === "A" ? m.a : m.b).data);
      const start = initial.get(module)![factor as "A" | "B"];
      const update = final.map((v, i) => v - start[i]);
      assert.ok(Math.abs(norm(final) - ref.norm) / ref.norm <= 1e-3, `${key}: norm ${norm(final)} vs TRL ${ref.norm}`);
      const updErr = Math.abs(norm(update) - ref.update_norm) / ref.update_norm;
      assert.ok(updErr <= 1e-2, `${key}: update norm ${norm(update)} vs TRL ${ref.update_norm}`);
      const stride = Math.max(1, Math.floor(update.length / 16));
      const samples = update.filter((_, i) => i % stride === 0).slice(0, ref.update_samples.length);
      const sampleErr = relError(samples, ref.update_samples);
      assert.ok(sampleErr <= 1e-2, `${key}: update entries differ by ${sampleErr} (relative)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
