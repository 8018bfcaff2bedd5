import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CheckpointReader } from "../../src/formats/index.js";
import { exportGguf } from "../../src/export/index.js";
import { GgufFile, GgufModel } from "../../src/gguf/index.js";
import { loadModel, readModelFolder, weightSchema } from "../../src/model/index.js";
import { runCliInProcess as cli, spawnCli } from "../helpers/cli.js";
import { smollm2Gguf } from "../support/real-model.js";
import { modelFolder, prompts } from "./fixtures.js";
import { compare, llamaLogProbs, ourLogProbs } from "./llama-cpp.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-export-gguf-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Llama 3 rope scaling on the llama case (config only; llama.cpp reads it from rope_freqs.weight); the qwen2 case has
// more embedding rows than tokens (padding tokens) and untied embeddings on llama (output.weight).
const CASES = [
  { arch: "llama", tie: false, vocabSize: undefined, rope: { rope_type: "llama3", factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } },
  { arch: "qwen2", tie: true, vocabSize: 32064, rope: undefined },
  { arch: "qwen3", tie: true, vocabSize: undefined, rope: undefined },
  { arch: "mistral", tie: true, vocabSize: undefined, rope: undefined },
];

/**
 * The bound: llama.cpp computes the f32 model in f32 (f32 KV cache, no flash attention) with another summation
 * order; over 4 layers the log-probabilities then differ by float32 rounding. Measured: 0.98–1.24e-5; asserted 1e-4.
 */
const F32_BOUND = 1e-4;

describe("export gguf --type f32 of random llama / qwen2 / qwen3 / mistral folders", () => {
  for (const c of CASES) {
    it(`${c.arch}: llama.cpp's next-token log-probs equal our forward on the HF folder; the GGUF reads back to the same weights`, async (t) => {
      const dir = modelFolder(path.join(tmp, c.arch), {
        arch: c.arch,
        tieWordEmbeddings: c.tie,
        vocabSize: c.vocabSize,
        edit: c.rope ? (cfg) => (cfg.rope_scaling = c.rope) : undefined,
      });
      const out = path.join(tmp, `${c.arch}.gguf`);
      exportGguf({ model: dir, out, type: "f32" });
      const g = GgufFile.open(out);
      assert.equal(g.metadata.string("general.architecture"), c.arch === "mistral" ? "llama" : c.arch, "Mistral converts to llama");
      assert.equal(g.tensors.has("output.weight"), !c.tie);
      assert.equal(g.tensors.has("rope_freqs.weight"), c.rope !== undefined);
      g.close();

      const ours = loadModel(dir);
      if (c.rope) assert.equal(ours.config.ropeScaling?.factor, 32, "the fixture has llama3 rope scaling");
      const ids = prompts(ours.config.vocabSize, 1);
      const agreement = compare(ourLogProbs(ours, ids), await llamaLogProbs(out, ids));
      t.diagnostic(`${c.arch}: max |Δ log p| ${agreement.maxLogProbDiff.toExponential(2)}`);
      assert.ok(agreement.maxLogProbDiff <= F32_BOUND, `max |Δ log p| = ${agreement.maxLogProbDiff}`);
      assert.equal(agreement.top1, 1);

      // Round trip through the GGUF reader (q/k rows put back for llama): bit-identical f32 weights.
      const { config } = readModelFolder(dir);
      const reader = CheckpointReader.open(dir);
      const back = GgufModel.open(out);
      for (const spec of weightSchema(config)) {
        const want = reader.read(spec.name, "f32").data as Float32Array;
        const got = back.readF32(spec.name);
        assert.ok(Buffer.from(want.buffer, want.byteOffset, want.byteLength).equals(Buffer.from(got.buffer, got.byteOffset, got.byteLength)), spec.name);
      }
      back.close();
      reader.close();
      const reloaded = loadModel(out);
      // GGUF stores ε as f32; a Mistral comes back as the Llama it converts to (llama.cpp runs it without sliding window).
      const asLlama = c.arch === "mistral" ? { architecture: "LlamaForCausalLM", modelType: "llama", slidingWindow: null } : {};
      assert.deepEqual(reloaded.config, { ...config, torchDtype: reloaded.config.torchDtype, rmsNormEps: Math.fround(config.rmsNormEps), ...asLlama }, "the GGUF's metadata stands for the same config");
    });
  }
});

describe("export gguf: refusals", () => {
  const dir = () => modelFolder(path.join(tmp, "qwen3"), { arch: "qwen3", tieWordEmbeddings: true });

  it("an unsupported --type names the supported ones and suggests the nearest", async () => {
    const { code, out } = await cli("export", "gguf", "--model", dir(), "--out", path.join(tmp, "x.gguf"), "--type", "q4_k");
    assert.equal(code, 1);
    assert.match(out, /--type q4_k is not supported; expected one of f32, f16, bf16, q8_0, q4_0, q4_1, q4_k_m, q5_k_m, q6_k/);
    assert.match(out, /did you mean q4_k_m\?/);
  });

  it("an existing --out without --overwrite is refused and left as it was; --overwrite replaces it", async () => {
    const out = path.join(tmp, "exists.gguf");
    fs.writeFileSync(out, "keep me");
    const refused = await cli("export", "gguf", "--model", dir(), "--out", out, "--type", "q8_0");
    assert.equal(refused.code, 1);
    assert.match(refused.out, /exists\.gguf already exists/);
    assert.match(refused.out, /--overwrite/);
    assert.equal(fs.readFileSync(out, "utf8"), "keep me");
    const done = await cli("export", "gguf", "--model", dir(), "--out", out, "--type", "q8_0", "--overwrite");
    assert.equal(done.code, 0, done.out);
    assert.match(done.out, /q8_0, [\d.]+ MB, \d+ tensors \(\d+ F32, \d+ Q8_0, 4 F16\)/);
    assert.equal(GgufFile.open(out).metadata.u32("general.file_type"), 7);
  });

  it("a folder without tokenizer.json is refused, naming what to copy", async () => {
    const bare = path.join(tmp, "bare");
    modelFolder(bare, { tokenizer: undefined, vocabSize: 64 });
    const { code, out } = await cli("export", "gguf", "--model", bare, "--out", path.join(tmp, "bare.gguf"));
    assert.equal(code, 1);
    assert.match(out, /has no tokenizer\.json/);
    assert.ok(!fs.existsSync(path.join(tmp, "bare.gguf")));
  });

  it("a killed export leaves no file under the final name", async () => {
    const out = path.join(tmp, "killed.gguf");
    const child = spawnCli(["export", "gguf", "--model", smollm2Gguf(), "--out", out, "--type", "f16"]);
    const closed = new Promise((resolve) => child.on("close", resolve));
    // Kill it once the temporary file has data.
    for (let i = 0; i < 600; i++) {
      const tmpFile = fs.readdirSync(tmp).find((f) => f.startsWith("killed.gguf.tmp-"));
      if (tmpFile && fs.statSync(path.join(tmp, tmpFile)).size > 1e6) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(fs.readdirSync(tmp).some((f) => f.startsWith("killed.gguf.tmp-")), "the export was under way");
    child.kill("SIGKILL");
    await closed;
    assert.ok(!fs.existsSync(out));
  });
});
