import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { withSafetensors } from "../../src/formats/index.js";
import { ARCHS, CASE, WINDOW, columns, greedyWith, loadAdapter, loadModel, logitsWith, lossAndGrads, oursAdapter, relError, tempFolder } from "./interop/case.js";

// Re-checks, without Python, what interop/steps/20_model_peft.py recorded from transformers + PEFT: logits of
// the base model, with our seeded adapter and with the adapter PEFT saved (first 32 vocabulary columns), the loss,
// every entry of every LoRA gradient (model_<arch>_grads.safetensors, written by PEFT's autograd), and greedy
// decoding with the adapter; the mistral and qwen2 cases run with a sliding window shorter than the sequences, and
// each golden names the window transformers applied per layer. Tolerances as in the interop suite: 1e-4 for logits, per gradient tensor 1e-3 in
// Frobenius norm and 1e-2 entry by entry (|ours − ref| / (|ref| + 1e-3·max|ref|)).

interface Golden {
  attention_windows: Array<number | null>;
  base_logits: number[][];
  adapter_logits: number[][];
  peft_adapter_logits: number[][];
  adapter_loss: number;
  greedy_repetition_penalty: number;
  greedy: number[];
}

function worstEntry(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i]));
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / (Math.abs(ref[i]) + 1e-3 * max));
  return worst;
}

function readGolden(arch: string): Golden {
  const file = path.join("test", "golden", `model_${arch}.json`);
  assert.ok(fs.existsSync(file), `${file} is missing: run npm run test:interop`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as Golden;
}

describe("model golden files from transformers + PEFT", () => {
  for (const arch of ARCHS) {
    it(`${arch}: logits, adapter logits, loss, every LoRA gradient entry, greedy decoding`, () => {
      const golden = readGolden(arch);
      const dir = tempFolder(arch);
      try {
        const model = loadModel(dir);
        assert.deepEqual(model.attention.map((s) => s.window), golden.attention_windows, "per-layer sliding windows");
        const adapter = oursAdapter(model);
        const cols = golden.base_logits[0].length;
        const ours = (t: { data: unknown }) => columns(t.data as Float32Array, CASE.vocabSize, cols);
        assert.ok(relError(ours(logitsWith(model)), golden.base_logits.flat()) <= 1e-4, "base logits");
        assert.ok(relError(ours(logitsWith(model, adapter)), golden.adapter_logits.flat()) <= 1e-4, "adapter logits");
        const { loss, grads } = lossAndGrads(model, adapter);
        assert.ok(Math.abs(loss - golden.adapter_loss) / golden.adapter_loss <= 1e-4, "loss");
        withSafetensors(path.join("test", "golden", `model_${arch}_grads.safetensors`), (reader) => {
          assert.deepEqual(reader.names().sort(), [...grads.keys()].flatMap((p) => [`${p}.A`, `${p}.B`]).sort());
          for (const [p, g] of grads) {
            for (const f of ["A", "B"] as const) {
              const ref = reader.read(`${p}.${f}`).data;
              const got = g[f].data;
              assert.equal(got.length, ref.length, `${p} ${f} size`);
              assert.ok(relError(got, ref) <= 1e-3, `${p} ${f}: relative Frobenius error ${relError(got, ref)}`);
              assert.ok(worstEntry(got, ref) <= 1e-2, `${p} ${f}: worst entry error ${worstEntry(got, ref)}`);
            }
          }
        });
        assert.equal(golden.greedy_repetition_penalty, 1.3);
        assert.ok(new Set(golden.greedy).size >= 3 && golden.greedy.length >= 6, `a greedy golden that varies: ${golden.greedy.join(",")}`);
        assert.deepEqual(greedyWith(model, adapter).slice(0, golden.greedy.length), golden.greedy);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("mistral's golden is its own model, not llama's under another name", () => {
    const [llama, mistral] = [readGolden("llama"), readGolden("mistral")];
    assert.ok(relError(mistral.base_logits.flat(), llama.base_logits.flat()) > 1e-2);
    const dir = tempFolder("mistral");
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(config.num_key_value_heads, 2);
    assert.equal(config.sliding_window, WINDOW);
  });

  it("the windowed goldens depend on the window: the same folders without it miss their logits", () => {
    assert.deepEqual(readGolden("mistral").attention_windows, [WINDOW, WINDOW, WINDOW, WINDOW]);
    assert.deepEqual(readGolden("qwen2").attention_windows, [null, null, WINDOW, WINDOW]);
    const unwindowed: Record<string, Record<string, unknown>> = { mistral: { sliding_window: null }, qwen2: { use_sliding_window: false } };
    for (const [arch, change] of Object.entries(unwindowed)) {
      const dir = tempFolder(arch);
      try {
        const file = path.join(dir, "config.json");
        fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, "utf8")), ...change }));
        const model = loadModel(dir);
        assert.ok(model.attention.every((s) => s.window === null));
        const golden = readGolden(arch).base_logits;
        const err = relError(columns(logitsWith(model).data as Float32Array, CASE.vocabSize, golden[0].length), golden.flat());
        assert.ok(err > 1e-2, `${arch} without its window: relative error ${err} to the golden`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("gemma3's case has both layer types and a window shorter than the sequences (so the golden checks the window)", () => {
    const dir = tempFolder("gemma3");
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(config.layer_types, ["sliding_attention", "full_attention", "sliding_attention", "full_attention"]);
    assert.ok((config.sliding_window as number) < Math.min(...CASE.sequences.map((s) => s.length)));
    assert.notEqual(config.query_pre_attn_scalar, config.head_dim);
  });

  it("the adapter folder PEFT saved (test/golden/peft_adapter) loads and gives PEFT's logits", () => {
    const golden = readGolden("llama");
    const dir = tempFolder("llama");
    try {
      const model = loadModel(dir);
      const adapter = loadAdapter(model, path.join("test", "golden", "peft_adapter"));
      const logits = logitsWith(model, adapter);
      const cols = golden.peft_adapter_logits[0].length;
      assert.ok(relError(columns(logits.data as Float32Array, CASE.vocabSize, cols), golden.peft_adapter_logits.flat()) <= 1e-4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
