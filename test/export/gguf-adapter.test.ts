import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { exportGguf } from "../../src/export/index.js";
import { GgufFile } from "../../src/gguf/index.js";
import { attachAdapter, loadAdapter } from "../../src/lora/index.js";
import { loadModel } from "../../src/model/index.js";
import { runCliInProcess as cli } from "../helpers/cli.js";
import { modelFolder, prompts, randomAdapter } from "./fixtures.js";
import { compare, llamaLogProbs, ourLogProbs } from "./llama-cpp.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-gguf-adapter-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * llama.cpp computes base·x + (alpha/r)·B·(A·x) in f32 with the adapter file, (W + sBA)·x with the merged export:
 * the two differ by f32 rounding (measured 5.5e-6 llama, 7.6e-6 qwen2 in log p); asserted 1e-4.
 */
const BOUND = 1e-4;

describe("export gguf-adapter: llama.cpp runs base + GGUF LoRA as the merged export", () => {
  // llama: B's q/k rows permuted, plain LoRA; qwen2: no permutation, rsLoRA (alpha written as alpha·√r).
  for (const c of [{ arch: "llama", rslora: false }, { arch: "qwen2", rslora: true }]) {
    it(`${c.arch}${c.rslora ? " (rsLoRA)" : ""}`, async (t) => {
      const dir = modelFolder(path.join(tmp, c.arch), { arch: c.arch, tieWordEmbeddings: true });
      const adapter = randomAdapter(path.join(tmp, `adapter-${c.arch}`), dir, { r: 8, alpha: 16, rslora: c.rslora });
      const baseGguf = path.join(tmp, `${c.arch}.gguf`);
      const mergedGguf = path.join(tmp, `${c.arch}-merged.gguf`);
      const loraGguf = path.join(tmp, `${c.arch}-lora.gguf`);
      exportGguf({ model: dir, out: baseGguf, type: "f32" });
      exportGguf({ model: dir, adapter, out: mergedGguf, type: "f32" });
      const { code, out } = await cli("export", "gguf-adapter", "--adapter", adapter, "--model", baseGguf, "--out", loraGguf);
      assert.equal(code, 0, out);
      const alpha = c.rslora ? 16 * Math.sqrt(8) : 16;
      assert.match(out, new RegExp(`adapter\\.lora\\.alpha ${alpha.toString().slice(0, 8)}`));

      const g = GgufFile.open(loraGguf);
      assert.equal(g.metadata.string("general.type"), "adapter");
      assert.equal(g.metadata.string("adapter.type"), "lora");
      assert.equal(g.metadata.string("general.architecture"), c.arch);
      assert.equal(g.metadata.number("adapter.lora.alpha"), Math.fround(alpha));
      assert.deepEqual(g.tensor("blk.0.attn_q.weight.lora_a").ne, [256, 8]);
      assert.deepEqual(g.tensor("blk.0.ffn_down.weight.lora_b").ne, [8, 256]);
      assert.equal(g.tensors.size, 4 * 7 * 2);
      g.close();

      const ids = prompts(32000, 1);
      const viaLora = await llamaLogProbs(baseGguf, ids, loraGguf);
      const merged = await llamaLogProbs(mergedGguf, ids);
      const a = compare(merged, viaLora);
      t.diagnostic(`merged vs base + LoRA: max |Δ log p| ${a.maxLogProbDiff.toExponential(2)}`);
      assert.ok(a.maxLogProbDiff <= BOUND, `llama.cpp merged vs base + LoRA file: ${a.maxLogProbDiff}`);
      // And both are what our forward computes with the adapter attached.
      const model = loadModel(dir);
      attachAdapter(model, loadAdapter(model, adapter));
      const b = compare(ourLogProbs(model, ids), viaLora);
      assert.ok(b.maxLogProbDiff <= BOUND, `ours (adapter attached) vs llama.cpp base + LoRA file: ${b.maxLogProbDiff}`);
      const without = compare(merged, await llamaLogProbs(baseGguf, ids));
      assert.ok(without.maxLogProbDiff > 100 * BOUND, "the adapter changes the output (the test could fail)");
    });
  }

  it("refuses an adapter for another base and an existing --out", async () => {
    const dir = modelFolder(path.join(tmp, "llama"), { arch: "llama", tieWordEmbeddings: true });
    const other = modelFolder(path.join(tmp, "wide"), { tokenizer: undefined, vocabSize: 64, edit: (cfg) => (cfg.intermediate_size = 512) });
    const foreign = randomAdapter(path.join(tmp, "adapter-wide"), other, { r: 4 });
    const bad = await cli("export", "gguf-adapter", "--adapter", foreign, "--model", dir, "--out", path.join(tmp, "bad.gguf"));
    assert.equal(bad.code, 1);
    assert.match(bad.out, /do not fit the base layer \[256, 688\].*adapter for another base model\?/);
    const target = path.join(tmp, "exists.gguf");
    fs.writeFileSync(target, "x");
    const adapter = randomAdapter(path.join(tmp, "adapter-llama"), dir);
    const exists = await cli("export", "gguf-adapter", "--adapter", adapter, "--model", dir, "--out", target);
    assert.equal(exists.code, 1);
    assert.match(exists.out, /already exists/);
    assert.ok(!fs.existsSync(path.join(tmp, "bad.gguf")));
  });
});
