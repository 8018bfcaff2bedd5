import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { GgufFile, ggufRowToHf, hfRowToGguf, importGguf, ollamaManifestPath, resolveOllamaModel } from "../../src/gguf/index.js";
import { loadWeights, readModelFolder } from "../../src/model/index.js";
import { isQuant4, nativeQuant4Dequantize } from "../../src/quant/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { InputError } from "../../src/util/errors.js";
import { runCliInProcess } from "../helpers/cli.js";
import { smollm2Gguf } from "../support/real-model.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gguf-import-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sameTensor = (a: Tensor, b: Tensor, name: string) => {
  assert.equal(a.dtype, b.dtype, name);
  assert.deepEqual(a.shape, b.shape, name);
  assert.ok(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)), `${name} differs`);
};

describe("loraforge import on the real SmolLM2 GGUF", () => {
  let file: string;
  before(() => {
    file = smollm2Gguf();
  });

  test("the imported folder has HF's config and tokenizer files, and loads to exactly the weights the .gguf loads to", () => {
    for (const dtype of ["bf16", "f32"] as const) {
      const out = path.join(tmp, `smol-${dtype}`);
      const result = importGguf(file, out, { dtype });
      assert.deepEqual(result.storedTypes, { Q8_0: 1, F32: 61, Q4_1: 210 });
      const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
      // SmolLM2-135M-Instruct's published config.json, for the fields a GGUF carries.
      assert.deepEqual(
        [config.architectures, config.hidden_size, config.intermediate_size, config.num_hidden_layers, config.num_attention_heads, config.num_key_value_heads, config.rope_theta, config.vocab_size, config.tie_word_embeddings, config.max_position_embeddings],
        [["LlamaForCausalLM"], 576, 1536, 30, 9, 3, 100000, 49152, true, 8192],
      );
      assert.ok(fs.existsSync(path.join(out, "tokenizer.json")) && fs.existsSync(path.join(out, "model.safetensors")));
      const fromGguf = readModelFolder(file);
      const fromFolder = readModelFolder(out);
      assert.deepEqual({ ...fromFolder.config, torchDtype: null }, { ...fromGguf.config, torchDtype: null });
      assert.equal(fromFolder.config.torchDtype, dtype === "bf16" ? "bfloat16" : "float32");
      assert.deepEqual(fromFolder.eosTokenIds, fromGguf.eosTokenIds);
      const a = loadWeights(file, fromGguf.config, { dtype });
      const b = loadWeights(out, fromFolder.config, { dtype });
      sameTensor(a.embedTokens, b.embedTokens, "embed_tokens");
      sameTensor(a.norm, b.norm, "norm");
      for (const i of [0, 17, 29]) {
        const [la, lb] = [a.layers[i], b.layers[i]];
        sameTensor(la.attention.qProj.weight as Tensor, lb.attention.qProj.weight as Tensor, `layer ${i} q`);
        sameTensor(la.attention.kProj.weight as Tensor, lb.attention.kProj.weight as Tensor, `layer ${i} k`);
        sameTensor(la.mlp.downProj.weight as Tensor, lb.mlp.downProj.weight as Tensor, `layer ${i} down`);
        sameTensor(la.inputLayernorm, lb.inputLayernorm, `layer ${i} norm`);
      }
      if (dtype === "bf16") {
        const corpus = ["Hello, world! 123", "<|im_start|>user\nhi<|im_end|>", "naïve café 日本"];
        const [t1, t2] = [loadTokenizer(file), loadTokenizer(out)];
        for (const text of corpus) assert.deepEqual(t2.encode(text), t1.encode(text));
        assert.equal(t2.chatTemplate?.source, t1.chatTemplate?.source);
        assert.deepEqual(t2.endOfTurnTokenIds, t1.endOfTurnTokenIds);
      }
    }
  });

  test("with quantization: nf4 the projections are re-quantized from the dequantized GGUF weights (QLoRA base)", () => {
    const config = readModelFolder(file).config;
    const dense = loadWeights(file, config).layers[3].mlp.upProj.weight as Tensor;
    const nf4 = loadWeights(file, config, { quantization: "nf4" }).layers[3].mlp.upProj.quant;
    assert.ok(isQuant4(nf4), "up_proj is held in 4 bits");
    const back = nativeQuant4Dequantize(nf4);
    // NF4 keeps each value within half a code step of its block's absmax-scaled grid: well under 20% of absmax.
    let worst = 0;
    for (let b = 0; b < dense.numel; b += 64) {
      let absmax = 0;
      for (let i = b; i < b + 64; i++) absmax = Math.max(absmax, Math.abs(dense.get(i)));
      for (let i = b; i < b + 64; i++) worst = Math.max(worst, Math.abs(back[i] - dense.get(i)) / absmax);
    }
    assert.ok(worst > 0 && worst < 0.2, `worst error ${worst} of a block's absmax`);
  });

  test("q_proj rows are back in HF order: GGUF row 2i+j of each head is HF row j·hd/2 + i", () => {
    const g = GgufFile.open(file);
    try {
      const info = g.tensor("blk.0.attn_q.weight");
      // The F32 restatement below reads Q4_1 blocks straight from the docs' layout: d, m (f16), 16 bytes of nibbles.
      const bytes = g.readBytes(info);
      const cols = info.ne[0];
      const f16 = (lo: number, hi: number) => {
        const h = lo | (hi << 8);
        const e = (h >> 10) & 31;
        const m = h & 1023;
        const v = e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
        return h & 0x8000 ? -v : v;
      };
      const ggufValue = (row: number, col: number) => {
        const block = (row * cols + col) >> 5;
        const j = col & 31;
        const at = block * 20;
        const byte = bytes[at + 4 + (j & 15)];
        return f16(bytes[at], bytes[at + 1]) * (j < 16 ? byte & 15 : byte >> 4) + f16(bytes[at + 2], bytes[at + 3]);
      };
      const config = readModelFolder(file).config;
      const hf = loadWeights(file, config).layers[0].attention.qProj.weight as Tensor;
      const hd = config.headDim;
      for (const [h, i, j] of [[0, 0, 1], [3, 5, 0], [8, 31, 1], [4, 17, 1]]) {
        const hfRow = h * hd + j * (hd / 2) + i;
        const ggufRow = h * hd + 2 * i + j;
        for (const col of [0, 7, 300, 575]) assert.equal(hf.get(hfRow * cols + col), Math.fround(ggufValue(ggufRow, col)), `head ${h} i ${i} j ${j} col ${col}`);
      }
    } finally {
      g.close();
    }
  });

  test("the CLI imports, refuses to overwrite or to import a folder, and says what it did", async () => {
    const out = path.join(tmp, "cli");
    const first = await runCliInProcess("import", file, "--out", out);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /imported LlamaForCausalLM \(30 layers, hidden 576, vocab 49152\)/);
    assert.match(first.out, /dequantized from 1 Q8_0, 61 F32, 210 Q4_1; stored as bf16/);
    const again = await runCliInProcess("import", file, "--out", out);
    assert.notEqual(again.code, 0);
    assert.match(again.out, /--out .* is not empty/);
    const folder = await runCliInProcess("import", out, "--out", path.join(tmp, "x"));
    assert.match(folder.out, /already a model folder; import reads a \.gguf file or ollama:NAME/);
    const dtype = await runCliInProcess("import", file, "--out", path.join(tmp, "x"), "--dtype", "f64");
    assert.match(dtype.out, /--dtype f64: expected bf16 or f32/);
  });
});

describe("q/k permutation", () => {
  test("hfRowToGguf and ggufRowToHf are inverse, on weights and biases", () => {
    const w = Float32Array.from({ length: 3 * 8 * 5 }, (_, i) => i);
    assert.deepEqual(ggufRowToHf(hfRowToGguf(w, 3, 5), 3, 5), w);
    const bias = Float32Array.from({ length: 8 }, (_, i) => i);
    // One head of width 8: HF rows [0 1 2 3 | 4 5 6 7] interleave to 0 4 1 5 2 6 3 7 in llama.cpp's order.
    assert.deepEqual(Array.from(hfRowToGguf(bias, 1, 1)), [0, 4, 1, 5, 2, 6, 3, 7]);
  });
});

describe("Ollama's local store", () => {
  const store = path.join(tmp, "ollama");
  const digest = "a".repeat(64);
  const manifest = (layers: object[]) => JSON.stringify({ schemaVersion: 2, layers });
  before(() => {
    process.env.OLLAMA_MODELS = store;
    const dir = path.join(store, "manifests", "registry.ollama.ai", "library", "smollm2");
    fs.mkdirSync(dir, { recursive: true });
    fs.mkdirSync(path.join(store, "blobs"), { recursive: true });
    fs.writeFileSync(path.join(store, "blobs", `sha256-${digest}`), "GGUF");
    const layers = [
      { mediaType: "application/vnd.ollama.image.template", digest: `sha256:${"b".repeat(64)}`, size: 10 },
      { mediaType: "application/vnd.ollama.image.model", digest: `sha256:${digest}`, size: 4 },
    ];
    fs.writeFileSync(path.join(dir, "135m"), manifest(layers));
    fs.writeFileSync(path.join(dir, "tuned"), manifest([...layers, { mediaType: "application/vnd.ollama.image.adapter", digest: `sha256:${"c".repeat(64)}` }]));
    fs.writeFileSync(path.join(dir, "broken"), "{ not json");
  });
  after(() => delete process.env.OLLAMA_MODELS);

  test("names resolve as Ollama spells them", () => {
    const m = path.join(store, "manifests");
    assert.equal(ollamaManifestPath("smollm2", store), path.join(m, "registry.ollama.ai", "library", "smollm2", "latest"));
    assert.equal(ollamaManifestPath("smollm2:135m", store), path.join(m, "registry.ollama.ai", "library", "smollm2", "135m"));
    assert.equal(ollamaManifestPath("me/tuned:v2", store), path.join(m, "registry.ollama.ai", "me", "tuned", "v2"));
    assert.equal(ollamaManifestPath("host:5000/me/tuned:v2", store), path.join(m, "host:5000", "me", "tuned", "v2"));
    assert.throws(() => ollamaManifestPath("../../etc/passwd", store), InputError);
  });

  test("the model layer's blob; missing, adapter-carrying and broken manifests are clear errors", () => {
    assert.equal(resolveOllamaModel("smollm2:135m"), path.join(store, "blobs", `sha256-${digest}`));
    assert.throws(() => resolveOllamaModel("smollm2:1.7b"), (e: unknown) => e instanceof InputError && /not in the local store/.test(e.message) && /ollama pull smollm2:1\.7b/.test(e.hint ?? ""));
    assert.throws(() => resolveOllamaModel("smollm2:tuned"), /bakes in a LoRA adapter/);
    assert.throws(() => resolveOllamaModel("smollm2:broken"), /unreadable Ollama manifest/);
    fs.rmSync(path.join(store, "blobs", `sha256-${digest}`));
    assert.throws(() => resolveOllamaModel("smollm2:135m"), /names blob sha256-a+, which is missing/);
  });
});
