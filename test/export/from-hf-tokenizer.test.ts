import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GgufKv, HfTokenizerSource } from "../../src/gguf/index.js";
import { ggufTokenizerMetadata } from "../../src/gguf/index.js";
import { InputError } from "../../src/util/errors.js";

/** A byte-level BPE tokenizer.json of a handful of tokens, with the pre-tokenizer given. */
function byteLevel(preTokenizer: unknown, extra: Partial<HfTokenizerSource> = {}): HfTokenizerSource {
  return {
    file: "tokenizer.json",
    tokenizerJson: {
      added_tokens: [
        { id: 5, content: "<|im_end|>", special: true },
        { id: 6, content: "<tool>", special: false },
      ],
      pre_tokenizer: preTokenizer,
      model: { type: "BPE", byte_fallback: false, vocab: { a: 0, b: 1, "Ġ": 2, "Ġa": 3, "a b": 4 }, merges: [["Ġ", "a"], ["a", " b"]] },
    },
    tokenizerConfig: { eos_token: "<|im_end|>", add_bos_token: false },
    vocabSize: 8,
    ...extra,
  };
}

const value = (kvs: GgufKv[], key: string) => {
  const e = kvs.find((k) => k.key === key);
  return e === undefined ? undefined : e.type === "array" ? e.values : e.value;
};

const BYTE_LEVEL = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };

describe("HF tokenizer → tokenizer.ggml.*", () => {
  it("reads the pre name from the pre_tokenizer's structure", () => {
    assert.equal(value(ggufTokenizerMetadata(byteLevel(BYTE_LEVEL)), "tokenizer.ggml.pre"), "gpt-2");
    const smollm = { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true }, BYTE_LEVEL] };
    assert.equal(value(ggufTokenizerMetadata(byteLevel(smollm)), "tokenizer.ggml.pre"), "smollm");
  });

  it("refuses a pre-tokenizer it cannot identify, naming the field and the supported ones", () => {
    const odd = { type: "Sequence", pretokenizers: [{ type: "Split", pattern: { Regex: "\\p{L}+|\\p{N}{1,5}" }, behavior: "Isolated", invert: false }, { ...BYTE_LEVEL, use_regex: false }] };
    assert.throws(
      () => ggufTokenizerMetadata(byteLevel(odd)),
      (e: unknown) => e instanceof InputError && e.field === "pre_tokenizer" && /cannot tell which llama\.cpp pre-tokenizer/.test(e.message) && /llama-bpe/.test(e.hint ?? ""),
    );
    const digitsOnly = { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: false }, BYTE_LEVEL] };
    assert.throws(() => ggufTokenizerMetadata(byteLevel(digitsOnly)), /cannot tell which llama\.cpp pre-tokenizer/);
  });

  it("tokens by id, padding ids as [PADn] (unused), token types, merges with U+0120 for a space inside a part", () => {
    const kvs = ggufTokenizerMetadata(byteLevel(BYTE_LEVEL));
    assert.deepEqual(value(kvs, "tokenizer.ggml.tokens"), ["a", "b", "Ġ", "Ġa", "a b", "<|im_end|>", "<tool>", "[PAD7]"]);
    assert.deepEqual(value(kvs, "tokenizer.ggml.token_type"), [1, 1, 1, 1, 1, 3, 4, 5]);
    assert.deepEqual(value(kvs, "tokenizer.ggml.merges"), ["Ġ a", "a Ġb"]);
    assert.equal(value(kvs, "tokenizer.ggml.eos_token_id"), 5);
    assert.equal(value(kvs, "tokenizer.ggml.eot_token_id"), 5, "<|im_end|> is a stop id");
    assert.equal(value(kvs, "tokenizer.ggml.bos_token_id"), undefined);
    assert.equal(value(kvs, "tokenizer.ggml.add_bos_token"), false);
  });

  it("refuses a vocabulary token beyond the model's embedding rows; leaves out an added token there, as the converter does", () => {
    assert.throws(() => ggufTokenizerMetadata(byteLevel(BYTE_LEVEL, { vocabSize: 4 })), /token "a b" has id 4, outside the model's 4 embedding rows/);
    assert.deepEqual(value(ggufTokenizerMetadata(byteLevel(BYTE_LEVEL, { vocabSize: 6 })), "tokenizer.ggml.tokens"), ["a", "b", "Ġ", "Ġa", "a b", "<|im_end|>"]);
  });

  it("Gemma-style added tokens: <unusedN> and <mask> are control tokens, user-defined ▁ runs become spaces, no space prefix", () => {
    const kvs = ggufTokenizerMetadata({
      file: "tokenizer.json",
      tokenizerJson: {
        added_tokens: [
          { id: 0, content: "<pad>", special: true },
          { id: 1, content: "<mask>", special: false },
          { id: 2, content: "<unused0>", special: false },
          { id: 3, content: "▁▁", special: false },
          { id: 4, content: "<table>", special: false },
          { id: 8, content: "<image_soft_token>", special: true },
        ],
        normalizer: { type: "Replace", pattern: { String: " " }, content: "▁" },
        pre_tokenizer: { type: "Split", pattern: { String: " " }, behavior: "MergedWithPrevious", invert: false },
        model: { type: "BPE", byte_fallback: true, unk_token: null, vocab: { "<pad>": 0, "<mask>": 1, "<unused0>": 2, "▁▁": 3, "<table>": 4, "▁": 5, a: 6, "▁a": 7 }, merges: [["▁", "▁"], ["▁", "a"]] },
      },
      tokenizerConfig: { pad_token: "<pad>" },
      vocabSize: 8,
    });
    assert.deepEqual(value(kvs, "tokenizer.ggml.tokens"), ["<pad>", "<mask>", "<unused0>", "  ", "<table>", "▁", "a", "▁a"]);
    assert.deepEqual(value(kvs, "tokenizer.ggml.token_type"), [3, 3, 3, 4, 4, 1, 1, 1]);
    assert.deepEqual(value(kvs, "tokenizer.ggml.scores"), [0, 0, 0, 0, 0, 0, 0, -2]);
    assert.equal(value(kvs, "tokenizer.ggml.add_space_prefix"), false);
    assert.equal(value(kvs, "tokenizer.ggml.pre"), "default");
  });

  it("SentencePiece BPE: llama model, scores = −(rank of the first merge making the piece), byte and unk types, space prefix from Metaspace", () => {
    const kvs = ggufTokenizerMetadata({
      file: "tokenizer.json",
      tokenizerJson: {
        added_tokens: [{ id: 0, content: "<unk>", special: true }, { id: 1, content: "<s>", special: true }],
        normalizer: null,
        pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false },
        model: { type: "BPE", byte_fallback: true, unk_token: "<unk>", vocab: { "<unk>": 0, "<s>": 1, "<0x41>": 2, "▁": 3, t: 4, "▁t": 5, h: 6, "▁th": 7 }, merges: ["▁ t", "▁t h"] },
      },
      tokenizerConfig: { bos_token: "<s>", add_bos_token: true },
      vocabSize: 8,
    });
    assert.equal(value(kvs, "tokenizer.ggml.model"), "llama");
    assert.deepEqual(value(kvs, "tokenizer.ggml.scores"), [0, 0, 0, 0, 0, -1, 0, -2]);
    assert.deepEqual(value(kvs, "tokenizer.ggml.token_type"), [2, 3, 6, 1, 1, 1, 1, 1]);
    assert.equal(value(kvs, "tokenizer.ggml.add_space_prefix"), true);
    assert.equal(value(kvs, "tokenizer.ggml.add_bos_token"), true);
    assert.equal(value(kvs, "tokenizer.ggml.merges"), undefined);
  });
});
