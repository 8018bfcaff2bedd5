import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { generate } from "../../src/model/index.js";
import { ARCHS, CASE, columns, loadModel, logitsWith, lossAndGrads, oursAdapter, relError, tempFolder } from "./interop/case.js";

// Re-checks, without Python, what interop/steps/20_model_peft.py recorded from transformers + PEFT: logits of
// the base model and with our seeded adapter (first 32 vocabulary columns), the loss, and per-module gradient
// norms and leading entries. Same tolerances as the interop suite: 1e-4 for logits, 1e-3 for gradients.

interface Golden {
  base_logits: number[][];
  adapter_logits: number[][];
  adapter_loss: number;
  adapter_grads: Record<string, Record<"A" | "B", { norm: number; head: number[] }>>;
  greedy: number[];
}

describe("model golden files from transformers + PEFT", () => {
  for (const arch of ARCHS) {
    it(`${arch}: logits, adapter logits, loss and LoRA gradients`, () => {
      const file = path.join("test", "golden", `model_${arch}.json`);
      assert.ok(fs.existsSync(file), `${file} is missing: run npm run test:interop`);
      const golden = JSON.parse(fs.readFileSync(file, "utf8")) as Golden;
      const dir = tempFolder(arch);
      try {
        const model = loadModel(dir);
        const adapter = oursAdapter(model);
        const cols = golden.base_logits[0].length;
        const ours = (t: { data: unknown }) => columns(t.data as Float32Array, CASE.vocabSize, cols);
        assert.ok(relError(ours(logitsWith(model)), golden.base_logits.flat()) <= 1e-4, "base logits");
        assert.ok(relError(ours(logitsWith(model, adapter)), golden.adapter_logits.flat()) <= 1e-4, "adapter logits");
        const { loss, grads } = lossAndGrads(model, adapter);
        assert.ok(Math.abs(loss - golden.adapter_loss) / golden.adapter_loss <= 1e-4, "loss");
        assert.deepEqual([...grads.keys()].sort(), Object.keys(golden.adapter_grads).sort());
        for (const [p, g] of grads) {
          for (const f of ["A", "B"] as const) {
            const ref = golden.adapter_grads[p][f];
            const t = g[f];
            let sq = 0;
            for (let i = 0; i < t.numel; i++) sq += t.get(i) ** 2;
            assert.ok(Math.abs(Math.sqrt(sq) - ref.norm) / ref.norm <= 1e-3, `${p} ${f} norm`);
            const head = Array.from({ length: ref.head.length }, (_, i) => t.get(i));
            assert.ok(relError(head, ref.head) <= 1e-2, `${p} ${f} leading entries`);
          }
        }
        const greedy = generate(model, CASE.sequences[0], { maxNewTokens: golden.greedy.length, eosTokenIds: [] }).tokens;
        assert.deepEqual(greedy, golden.greedy);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
