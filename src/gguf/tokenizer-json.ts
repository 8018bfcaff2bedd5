import { InputError } from "../util/errors.js";
import type { GgufMetadata } from "./metadata.js";
import { KNOWN_PRE_TOKENIZERS, preTokenizerRule } from "./pre-tokenizers.js";

/** SentencePiece / llama.cpp token types (docs/formats/gguf.md, "Tokenizer metadata"). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** A tokenizer.json and tokenizer_config.json pair, as transformers writes them, rebuilt from GGUF metadata. */
export interface HfTokenizerJson {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

interface Vocab {
  tokens: string[];
  types: number[];
}

/**
 * Rebuilds the Hugging Face tokenizer a GGUF's `tokenizer.ggml.*` keys describe, so that it tokenizes as
 * llama.cpp does: byte-level BPE (`gpt2`) with llama.cpp's pre-tokenizer regexes for `tokenizer.ggml.pre`, or
 * SentencePiece BPE (`llama`) with merges ranked by piece score. Special tokens, BOS/EOS and the chat template
 * go into tokenizer_config.json.
 */
export function hfTokenizerFromGguf(md: GgufMetadata): HfTokenizerJson {
  const kind = md.has("tokenizer.ggml.model") ? md.string("tokenizer.ggml.model") : undefined;
  if (kind === undefined) {
    throw new InputError("the GGUF has no tokenizer (tokenizer.ggml.model is missing)", { file: md.file, field: "tokenizer.ggml.model" }, {
      hint: "loraforge needs the tokenizer inside the GGUF; re-convert the model with llama.cpp's convert_hf_to_gguf.py",
    });
  }
  const vocab = readVocab(md);
  const ids = specialIds(md, vocab.tokens.length);
  let model: Record<string, unknown>;
  let rest: Record<string, unknown>;
  let addBos: boolean;
  if (kind === "gpt2") {
    const pre = md.optString("tokenizer.ggml.pre") ?? "default";
    const rule = preTokenizerRule(pre);
    if (!rule) {
      throw new InputError(`unknown pre-tokenizer "${pre}"`, { file: md.file, field: "tokenizer.ggml.pre" }, {
        hint: `loraforge knows ${KNOWN_PRE_TOKENIZERS.join(", ")}; tokenizing with another would silently differ from llama.cpp`,
      });
    }
    model = { type: "BPE", ...bpeCommon(vocab.tokens), merges: md.stringArray("tokenizer.ggml.merges"), ignore_merges: rule.ignoreMerges, byte_fallback: false };
    rest = {
      normalizer: null,
      pre_tokenizer: {
        type: "Sequence",
        pretokenizers: [
          ...rule.regexes.map((regex) => ({ type: "Split", pattern: { Regex: regex }, behavior: "Isolated", invert: false })),
          { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
        ],
      },
      decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    };
    addBos = md.optBool("tokenizer.ggml.add_bos_token") ?? rule.addBosByDefault;
  } else if (kind === "llama") {
    const addSpacePrefix = md.optBool("tokenizer.ggml.add_space_prefix") ?? true;
    model = { type: "BPE", ...bpeCommon(vocab.tokens), merges: mergesFromScores(vocab, md), byte_fallback: true, fuse_unk: true, unk_token: ids.unk === undefined ? null : vocab.tokens[ids.unk] };
    rest = {
      normalizer: {
        type: "Sequence",
        normalizers: [...(addSpacePrefix ? [{ type: "Prepend", prepend: "▁" }] : []), { type: "Replace", pattern: { String: " " }, content: "▁" }],
      },
      pre_tokenizer: null,
      decoder: {
        type: "Sequence",
        decoders: [
          { type: "Replace", pattern: { String: "▁" }, content: " " },
          { type: "ByteFallback" },
          { type: "Fuse" },
          ...(addSpacePrefix ? [{ type: "Strip", content: " ", start: 1, stop: 0 }] : []),
        ],
      },
    };
    addBos = md.optBool("tokenizer.ggml.add_bos_token") ?? true;
  } else {
    throw new InputError(`tokenizer model "${kind}" is not supported (gpt2 and llama are)`, { file: md.file, field: "tokenizer.ggml.model" });
  }
  const addEos = md.optBool("tokenizer.ggml.add_eos_token") ?? false;
  if (addBos && ids.bos === undefined) throw new InputError("add_bos_token is set but there is no bos_token_id", { file: md.file, field: "tokenizer.ggml.bos_token_id" });
  if (addEos && ids.eos === undefined) throw new InputError("add_eos_token is set but there is no eos_token_id", { file: md.file, field: "tokenizer.ggml.eos_token_id" });
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocab),
    ...rest,
    post_processor: postProcessor(vocab.tokens, addBos ? ids.bos : undefined, addEos ? ids.eos : undefined),
    model,
  };
  const name = (id: number | undefined) => (id === undefined ? undefined : vocab.tokens[id]);
  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: addBos,
    add_eos_token: addEos,
    bos_token: name(ids.bos) ?? null,
    eos_token: name(ids.eos) ?? null,
    unk_token: name(ids.unk) ?? null,
    pad_token: name(ids.pad) ?? null,
    clean_up_tokenization_spaces: false,
    tokenizer_class: tokenizerClass(kind, md),
  };
  const template = md.optString("tokenizer.chat_template");
  if (template !== undefined) tokenizerConfig.chat_template = template;
  return { tokenizerJson, tokenizerConfig };
}

/**
 * transformers 5 builds a class's own pipeline around tokenizer.json's vocabulary and merges, so the class must be
 * the one whose pipeline this is: Llama's SentencePiece with the ▁ prefix, Gemma's without it (the same normalizer,
 * Split and decoder written here); byte-level BPE loads tokenizer.json as it is.
 */
function tokenizerClass(kind: string, md: GgufMetadata): string {
  if (kind === "gpt2") return "PreTrainedTokenizerFast";
  return (md.optBool("tokenizer.ggml.add_space_prefix") ?? true) ? "LlamaTokenizerFast" : "GemmaTokenizer";
}

function readVocab(md: GgufMetadata): Vocab {
  const tokens = md.stringArray("tokenizer.ggml.tokens");
  const types = md.has("tokenizer.ggml.token_type") ? md.numberArray("tokenizer.ggml.token_type") : tokens.map(() => TOKEN_TYPE.normal);
  if (types.length < tokens.length) {
    throw new InputError(`${types.length} token types for ${tokens.length} tokens`, { file: md.file, field: "tokenizer.ggml.token_type" });
  }
  const seen = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    // llama.cpp renames empty tokens the same way, so both sides agree on ids.
    if (tokens[i] === "") tokens[i] = `[EMPTY_${i}]`;
    if (seen.has(tokens[i])) throw new InputError(`token ${i} (${JSON.stringify(tokens[i])}) appears twice`, { file: md.file, field: "tokenizer.ggml.tokens" });
    seen.add(tokens[i]);
  }
  return { tokens, types };
}

function specialIds(md: GgufMetadata, vocabSize: number): Record<"bos" | "eos" | "unk" | "pad", number | undefined> {
  const read = (key: string) => {
    const id = md.optU32(`tokenizer.ggml.${key}`);
    if (id !== undefined && id >= vocabSize) throw new InputError(`id ${id} is outside the vocabulary of ${vocabSize}`, { file: md.file, field: `tokenizer.ggml.${key}` });
    return id;
  };
  return { bos: read("bos_token_id"), eos: read("eos_token_id"), unk: read("unknown_token_id"), pad: read("padding_token_id") };
}

function bpeCommon(tokens: string[]): Record<string, unknown> {
  return {
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
  };
}

/** Control and user-defined tokens are matched whole in text before BPE, as llama.cpp's special-token pass does. */
function addedTokens(vocab: Vocab): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let id = 0; id < vocab.tokens.length; id++) {
    const type = vocab.types[id];
    if (type !== TOKEN_TYPE.control && type !== TOKEN_TYPE.userDefined && type !== TOKEN_TYPE.unknown) continue;
    out.push({
      id,
      content: vocab.tokens[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: type !== TOKEN_TYPE.userDefined,
    });
  }
  return out;
}

function postProcessor(tokens: string[], bos: number | undefined, eos: number | undefined): Record<string, unknown> | null {
  if (bos === undefined && eos === undefined) return null;
  const special = (id: number) => ({ SpecialToken: { id: tokens[id], type_id: 0 } });
  const seq = (id: "A" | "B") => ({ Sequence: { id, type_id: id === "A" ? 0 : 1 } });
  const around = (id: "A" | "B") => [...(bos !== undefined ? [special(bos)] : []), seq(id), ...(eos !== undefined ? [special(eos)] : [])];
  const specialTokens: Record<string, unknown> = {};
  for (const id of [bos, eos]) if (id !== undefined) specialTokens[tokens[id]] = { id: tokens[id], ids: [id], tokens: [tokens[id]] };
  return { type: "TemplateProcessing", single: around("A"), pair: [...around("A"), ...around("B")], special_tokens: specialTokens };
}

/**
 * SentencePiece stores scores, not merges. llama.cpp merges the adjacent pair whose joined piece has the highest
 * score; as BPE that is every split of a vocabulary piece into two vocabulary pieces, ranked by the joined piece's
 * score (ties by id).
 */
function mergesFromScores(vocab: Vocab, md: GgufMetadata): Array<[string, string]> {
  const scores = md.numberArray("tokenizer.ggml.scores");
  if (scores.length < vocab.tokens.length) {
    throw new InputError(`${scores.length} scores for ${vocab.tokens.length} tokens`, { file: md.file, field: "tokenizer.ggml.scores" });
  }
  const ids = new Map<string, number>();
  vocab.tokens.forEach((t, i) => {
    if (vocab.types[i] === TOKEN_TYPE.normal || vocab.types[i] === TOKEN_TYPE.userDefined) ids.set(t, i);
  });
  const merges: Array<{ left: string; right: string; id: number }> = [];
  for (const [piece, id] of ids) {
    const chars = [...piece];
    for (let cut = 1; cut < chars.length; cut++) {
      const left = chars.slice(0, cut).join("");
      const right = chars.slice(cut).join("");
      if (ids.has(left) && ids.has(right)) merges.push({ left, right, id });
    }
  }
  merges.sort((a, b) => scores[b.id] - scores[a.id] || a.id - b.id || ids.get(a.left)! - ids.get(b.left)!);
  // Pairs, not "left right" strings: a user-defined piece may hold spaces (Gemma's runs of spaces).
  return merges.map((m) => [m.left, m.right]);
}
