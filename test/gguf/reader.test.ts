import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { GgufFile, GgufModel, locateModel } from "../../src/gguf/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { InputError, LoraforgeError } from "../../src/util/errors.js";
import type { Meta, RawTensor } from "../support/gguf-bytes.js";
import { f32Bytes, ggufBytes, tinyLlamaMeta } from "../support/gguf-bytes.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gguf-reader-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const write = (bytes: Uint8Array): string => {
  const file = path.join(tmp, `m${n++}.gguf`);
  fs.writeFileSync(file, bytes);
  return file;
};
const inputError = (file: string, pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
  assert.ok(err.message.includes(file), `message does not name the file: ${err.message}`);
  assert.match(err.message, pattern);
  return true;
};

/** A two-layer llama with a 5-token BPE vocabulary: every key a loader needs, tiny F32 tensors. */
function tinyLlama(overrides: { meta?: Meta[]; drop?: string[]; tensors?: RawTensor[] } = {}): Buffer {
  const H = 4;
  const tokens = ["a", "b", "ab", "<s>", "</s>"];
  const base = tinyLlamaMeta({ hidden: H, ffn: 8, heads: 2, kvHeads: 1, pre: "gpt-2", tokens, merges: ["a b"] });
  // Overrides replace a key's entry (or add it); `drop` removes keys.
  const byKey = new Map(base.map((m) => [m[0], m]));
  for (const m of overrides.meta ?? []) byKey.set(m[0], m);
  for (const key of overrides.drop ?? []) byKey.delete(key);
  const f32 = (name: string, ne: number[]): RawTensor => ({ name, ne, type: 0, data: f32Bytes(Array.from({ length: ne.reduce((a, b) => a * b) }, (_, i) => (i % 7) / 10)) });
  const tensors = overrides.tensors ?? [
    f32("token_embd.weight", [H, tokens.length]),
    f32("output_norm.weight", [H]),
    f32("blk.0.attn_norm.weight", [H]),
    f32("blk.0.ffn_norm.weight", [H]),
    f32("blk.0.attn_q.weight", [H, H]),
    f32("blk.0.attn_k.weight", [H, 2]),
    f32("blk.0.attn_v.weight", [H, 2]),
    f32("blk.0.attn_output.weight", [H, H]),
    f32("blk.0.ffn_gate.weight", [H, 8]),
    f32("blk.0.ffn_up.weight", [H, 8]),
    f32("blk.0.ffn_down.weight", [8, H]),
  ];
  return ggufBytes([...byKey.values()], tensors);
}

describe("GGUF reader", () => {
  test("reads metadata of every kind and the tensor directory", () => {
    const file = write(tinyLlama({ meta: [["general.name", "string", "tiny ✓"], ["x.flag", "bool", true], ["x.big", "u64", 2 ** 40]] }));
    const g = GgufFile.open(file);
    try {
      assert.equal(g.metadata.string("general.name"), "tiny ✓");
      assert.equal(g.metadata.optBool("x.flag"), true);
      assert.equal(g.metadata.u32("x.big"), 2 ** 40);
      assert.deepEqual(g.metadata.stringArray("tokenizer.ggml.tokens"), ["a", "b", "ab", "<s>", "</s>"]);
      assert.ok(Math.abs(g.metadata.number("llama.attention.layer_norm_rms_epsilon") - 1e-5) < 1e-12);
      const q = g.tensor("blk.0.attn_q.weight");
      assert.deepEqual([q.ne, q.type.name, q.byteSize], [[4, 4], "F32", 64]);
      assert.deepEqual(Array.from(new Float32Array(g.readBytes(q).buffer)).slice(0, 8), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0].map(Math.fround));
    } finally {
      g.close();
    }
  });

  test("every truncation of a valid file is an InputError naming the file, never another exception", () => {
    const bytes = tinyLlama();
    const file = path.join(tmp, "cut.gguf");
    for (let cut = 0; cut < bytes.length; cut += 7) {
      fs.writeFileSync(file, bytes.subarray(0, cut));
      assert.throws(() => GgufModel.open(file).close(), (err: unknown) => err instanceof LoraforgeError && err.message.includes(file), `cut at ${cut}`);
    }
  });

  test("bad magic, version, a lying offset, overlapping tensors, an unsupported type, an impossible count", () => {
    const good = tinyLlama();
    const notGguf = write(Buffer.from("PK\x03\x04 not a gguf at all"));
    assert.throws(() => GgufFile.open(notGguf), inputError(notGguf, /not a GGUF file/));
    const v1 = Buffer.from(good);
    v1.writeUInt32LE(1, 4);
    const v1File = write(v1);
    assert.throws(() => GgufFile.open(v1File), inputError(v1File, /version: GGUF version 1 is not supported/));

    const t = (name: string, extra: Partial<RawTensor>): RawTensor => ({ name, ne: [32], type: 0, data: new Uint8Array(128), ...extra });
    const lying = write(ggufBytes([["general.architecture", "string", "llama"]], [t("a.weight", { offset: 1 << 20 })]));
    assert.throws(() => GgufFile.open(lying), inputError(lying, /tensor a\.weight .* needs bytes .* truncated or a wrong offset/));
    const misaligned = write(ggufBytes([], [t("a.weight", { offset: 4 })]));
    assert.throws(() => GgufFile.open(misaligned), inputError(misaligned, /not a multiple of the alignment 32/));
    const overlap = write(ggufBytes([], [t("a.weight", {}), t("b.weight", { offset: 64 })]));
    assert.throws(() => GgufFile.open(overlap), inputError(overlap, /tensors a\.weight and b\.weight overlap/));
    const iq = write(ggufBytes([], [t("a.weight", { type: 16, ne: [256], data: new Uint8Array(66) })]));
    assert.throws(() => GgufFile.open(iq), inputError(iq, /ggml type IQ2_XXS \(id 16\), which loraforge cannot read/));
    const odd = write(ggufBytes([], [t("a.weight", { type: 8, ne: [33], data: new Uint8Array(34) })]));
    assert.throws(() => GgufFile.open(odd), inputError(odd, /row length 33 is not a multiple of Q8_0's block size 32/));

    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(2n ** 40n, 16); // metadata_kv_count
    const hugeFile = write(huge);
    assert.throws(() => GgufFile.open(hugeFile), inputError(hugeFile, /metadata_kv_count: count 1099511627776 cannot fit/));
  });

  test("an unknown architecture, a missing hyper-parameter, a missing tokenizer, an unknown pre-tokenizer", () => {
    const gpt2 = write(tinyLlama({ meta: [["general.architecture", "string", "gpt2"]] }));
    assert.throws(() => GgufModel.open(gpt2), inputError(gpt2, /general\.architecture: architecture "gpt2" is not supported/));
    const noHeads = write(tinyLlama({ drop: ["llama.attention.head_count"] }));
    assert.throws(() => GgufModel.open(noHeads), inputError(noHeads, /llama\.attention\.head_count: metadata key is missing/));
    const noTokenizer = write(tinyLlama({ drop: ["tokenizer.ggml.model"] }));
    assert.throws(() => loadTokenizer(noTokenizer), inputError(noTokenizer, /tokenizer\.ggml\.model: the GGUF has no tokenizer/));
    const unknownPre = write(tinyLlama({ meta: [["tokenizer.ggml.pre", "string", "mystery-7"]] }));
    assert.throws(() => loadTokenizer(unknownPre), inputError(unknownPre, /unknown pre-tokenizer "mystery-7"/));
    const partial = write(tinyLlama({ meta: [["llama.rope.dimension_count", "u32", 1]] }));
    assert.throws(() => GgufModel.open(partial), inputError(partial, /llama\.rope\.dimension_count: RoPE over 1 of 2 head dimensions/));
    const badId = write(tinyLlama({ meta: [["tokenizer.ggml.eos_token_id", "u32", 99]] }));
    assert.throws(() => loadTokenizer(badId), inputError(badId, /id 99 is outside the vocabulary of 5/));
  });

  test("the config a GGUF stands for, and its tokenizer", () => {
    const file = write(tinyLlama());
    const model = GgufModel.open(file);
    try {
      assert.deepEqual(
        { ...model.config, rms_norm_eps: Math.round((model.config.rms_norm_eps as number) * 1e9) / 1e9 },
        {
          architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_act: "silu", hidden_size: 4, intermediate_size: 8,
          num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 2, rms_norm_eps: 1e-5, rope_theta: 10000,
          max_position_embeddings: 64, vocab_size: 5, tie_word_embeddings: true, torch_dtype: "bfloat16", attention_bias: false,
          mlp_bias: false, bos_token_id: 3, eos_token_id: 4,
        },
      );
    } finally {
      model.close();
    }
    const tok = loadTokenizer(file);
    assert.deepEqual(tok.encode("abab", { addSpecialTokens: false }), [2, 2]);
    assert.deepEqual(tok.encode("a<s>b", { addSpecialTokens: false }), [0, 3, 1]);
    assert.equal(tok.eosToken, "</s>");
    assert.deepEqual(locateModel(file), { kind: "gguf", file });
  });
});
