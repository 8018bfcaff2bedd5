import { InputError } from "../util/errors.js";
import type { GgufKv } from "./gguf-write.js";
import { kv } from "./gguf-write.js";
import { preTokenizerRule } from "./pre-tokenizers.js";
import { TOKEN_TYPE } from "./tokenizer-json.js";

/**
 * tokenizer.json + tokenizer_config.json → `tokenizer.ggml.*` (docs/formats/gguf.md, "Tokenizer metadata"); the
 * inverse of hfTokenizerFromGguf. Byte-level BPE becomes llama.cpp's `gpt2` model with the `pre` name of its
 * pre-tokenizer; SentencePiece-style BPE with byte fallback (Llama 2, Mistral) becomes the `llama` model, with
 * piece scores that rank merges as tokenizer.json does.
 */
export interface HfTokenizerSource {
  /** Where the files came from, for error messages. */
  file: string;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  chatTemplate?: string;
  /** Embedding rows: ids beyond the tokenizer's are padding tokens. */
  vocabSize: number;
  /** Stop ids of generation_config.json / config.json, for the end-of-turn id. */
  stopIds?: readonly number[];
  /** config.json's special ids, used when tokenizer_config.json does not name the token. */
  configIds?: { bos?: number | null; eos?: number | null; pad?: number | null };
}

type Json = Record<string, unknown>;

/** HF tokenizer.json pre-tokenizer regexes → llama.cpp pre names (the case-insensitive group spelled as HF does). */
const HF_SPLIT_PATTERNS: Record<string, string> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": "llama-bpe",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": "qwen2",
};

const EOT_TEXTS = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>"];

export function ggufTokenizerMetadata(src: HfTokenizerSource): GgufKv[] {
  const model = (src.tokenizerJson.model ?? {}) as Json;
  if (model.type !== "BPE") {
    throw new InputError(`tokenizer model type ${JSON.stringify(model.type)} cannot be exported (BPE tokenizers can)`, { file: src.file, field: "model.type" });
  }
  const sentencePiece = model.byte_fallback === true;
  const vocab = readVocab(src, model);
  const out: GgufKv[] = [];
  if (sentencePiece) {
    out.push(kv.string("tokenizer.ggml.model", "llama"), kv.string("tokenizer.ggml.pre", "default"));
    out.push(kv.array("tokenizer.ggml.tokens", "string", vocab.tokens));
    out.push(kv.array("tokenizer.ggml.scores", "f32", scoresFromMerges(vocab, merges(model, src.file))));
    out.push(kv.array("tokenizer.ggml.token_type", "i32", vocab.types));
  } else {
    out.push(kv.string("tokenizer.ggml.model", "gpt2"), kv.string("tokenizer.ggml.pre", preName(src)));
    out.push(kv.array("tokenizer.ggml.tokens", "string", vocab.tokens));
    out.push(kv.array("tokenizer.ggml.token_type", "i32", vocab.types));
    out.push(kv.array("tokenizer.ggml.merges", "string", merges(model, src.file)));
  }
  const ids = specialIds(src, vocab);
  for (const [name, id] of Object.entries(ids)) if (id !== undefined) out.push(kv.u32(`tokenizer.ggml.${name}_token_id`, id));
  const addBos = flag(src, "add_bos_token", ids.bos);
  const addEos = flag(src, "add_eos_token", ids.eos);
  out.push(kv.bool("tokenizer.ggml.add_bos_token", addBos), kv.bool("tokenizer.ggml.add_eos_token", addEos));
  out.push(kv.bool("tokenizer.ggml.add_space_prefix", sentencePiece && prependsSpace(src.tokenizerJson)));
  if (src.chatTemplate) out.push(kv.string("tokenizer.chat_template", src.chatTemplate));
  return out;
}

interface Vocab {
  tokens: string[];
  types: number[];
  byText: Map<string, number>;
}

function readVocab(src: HfTokenizerSource, model: Json): Vocab {
  const tokens: Array<string | undefined> = new Array(src.vocabSize).fill(undefined);
  const types: number[] = new Array(src.vocabSize).fill(TOKEN_TYPE.normal);
  const place = (text: string, id: number, type: number, where: string) => {
    if (!Number.isInteger(id) || id < 0 || id >= src.vocabSize) {
      throw new InputError(`token ${JSON.stringify(text)} has id ${id}, outside the model's ${src.vocabSize} embedding rows`, { file: src.file, field: where }, {
        hint: "the tokenizer does not belong to this model (config.json vocab_size is smaller than the tokenizer)",
      });
    }
    tokens[id] = text;
    types[id] = type;
  };
  const unk = typeof model.unk_token === "string" ? model.unk_token : undefined;
  for (const [text, id] of Object.entries((model.vocab ?? {}) as Record<string, number>)) {
    const type = text === unk ? TOKEN_TYPE.unknown : model.byte_fallback === true && /^<0x[0-9A-F]{2}>$/.test(text) ? TOKEN_TYPE.byte : TOKEN_TYPE.normal;
    place(text, id, type, "model.vocab");
  }
  for (const t of (src.tokenizerJson.added_tokens ?? []) as Json[]) {
    // Added tokens past the embedding rows can never be embedded (Gemma 3's <image_soft_token>); the converter
    // leaves them out too.
    if (Number(t.id) >= src.vocabSize) continue;
    const content = String(t.content);
    const type = content === unk ? TOKEN_TYPE.unknown : t.special === true || looksSpecial(content) ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
    // llama.cpp matches user-defined tokens in the raw text, before spaces become ▁: the converter writes Gemma's
    // "▁▁" (a run of spaces) as "  ".
    const text = type === TOKEN_TYPE.userDefined && model.byte_fallback === true ? content.replaceAll("▁", " ") : content;
    place(text, Number(t.id), type, "added_tokens");
  }
  const byText = new Map<string, number>();
  const filled = tokens.map((t, id) => {
    if (t !== undefined) return t;
    types[id] = TOKEN_TYPE.unused;
    return `[PAD${id}]`;
  });
  filled.forEach((t, id) => {
    if (byText.has(t)) throw new InputError(`token ${JSON.stringify(t)} appears at ids ${byText.get(t)} and ${id}`, { file: src.file, field: "model.vocab" });
    byText.set(t, id);
  });
  return { tokens: filled, types, byText };
}

/** The converter's list of added tokens that are control tokens even when tokenizer.json does not mark them special. */
function looksSpecial(text: string): boolean {
  return (
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(text) ||
    (text.startsWith("<|") && text.endsWith("|>")) ||
    (text.startsWith("<｜") && text.endsWith("｜>")) ||
    (text.startsWith("<unused") && text.endsWith(">"))
  );
}

/** Merges as "left right"; the pair form ([["a","b"]]) writes a space inside a part as U+0120, as gguf-py does. */
function merges(model: Json, file: string): string[] {
  const list = model.merges;
  if (!Array.isArray(list)) throw new InputError("model.merges is missing", { file, field: "model.merges" });
  return list.map((m) => (Array.isArray(m) ? m.map((part: string) => part.replaceAll(" ", "\u0120")).join(" ") : String(m)));
}

/**
 * Which of llama.cpp's pre-tokenizers a tokenizer.json's pre_tokenizer is, read from its structure: HF's regex
 * splits of Llama 3 and Qwen2, GPT-2's ByteLevel(use_regex), SmolLM's Digits + ByteLevel, or the Split list that
 * hfTokenizerFromGguf writes for any known pre name. Anything else is refused rather than guessed.
 */
function preName(src: HfTokenizerSource): string {
  const pre = src.tokenizerJson.pre_tokenizer as Json | null | undefined;
  const steps = (pre?.type === "Sequence" ? (pre.pretokenizers as Json[]) : pre ? [pre] : []).slice();
  const last = steps[steps.length - 1];
  const fail = (): never => {
    throw new InputError(`cannot tell which llama.cpp pre-tokenizer this tokenizer's pre_tokenizer is: ${JSON.stringify(pre).slice(0, 300)}`, { file: src.file, field: "pre_tokenizer" }, {
      hint: "loraforge exports the pre-tokenizers of Llama 3 (llama-bpe), Qwen2/2.5/3 (qwen2), SmolLM/SmolLM2 (smollm) and GPT-2 (gpt-2); writing another would tokenize differently in llama.cpp",
    });
  };
  if (last?.type !== "ByteLevel") fail();
  const body = steps.slice(0, -1);
  if (last.use_regex === true) {
    if (body.length === 0) return "gpt-2";
    if (body.length === 1 && body[0].type === "Digits" && body[0].individual_digits === true) return "smollm";
    return fail();
  }
  const regexes = body.map((s) => (s.type === "Split" && s.behavior === "Isolated" && s.invert !== true ? ((s.pattern as Json)?.Regex as string | undefined) : undefined));
  if (regexes.length === 0 || regexes.some((r) => r === undefined)) return fail();
  if (regexes.length === 1 && HF_SPLIT_PATTERNS[regexes[0]!]) return HF_SPLIT_PATTERNS[regexes[0]!];
  for (const name of ["llama-bpe", "qwen2", "smollm", "gpt-2", "default"]) {
    const rule = preTokenizerRule(name)!;
    if (rule.regexes.length === regexes.length && rule.regexes.every((r, i) => r === regexes[i])) return name;
  }
  return fail();
}

/**
 * SentencePiece merges the adjacent pair whose joined piece scores highest; tokenizer.json lists merges by rank.
 * A piece scores minus the rank of the first merge that makes it, so the two agree; pieces no merge makes
 * (single characters, bytes, special tokens) score 0.
 */
function scoresFromMerges(vocab: Vocab, list: string[]): number[] {
  const scores = new Array<number>(vocab.tokens.length).fill(0);
  const seen = new Set<number>();
  list.forEach((m, rank) => {
    const cut = m.indexOf(" ", 1);
    const id = vocab.byText.get(m.slice(0, cut) + m.slice(cut + 1));
    if (id === undefined || seen.has(id)) return;
    seen.add(id);
    scores[id] = -(rank + 1);
  });
  return scores;
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as Json).content === "string") return (value as Json).content as string;
  return undefined;
}

function specialIds(src: HfTokenizerSource, vocab: Vocab): Record<"bos" | "eos" | "unknown" | "padding" | "eot", number | undefined> {
  const c = src.tokenizerConfig;
  const byName = (field: string) => {
    const text = tokenText(c[field]);
    return text === undefined ? undefined : vocab.byText.get(text);
  };
  const inRange = (id: number | null | undefined) => (typeof id === "number" && id >= 0 && id < vocab.tokens.length ? id : undefined);
  const eos = byName("eos_token") ?? inRange(src.configIds?.eos);
  const stops = new Set([...(src.stopIds ?? []), ...(eos === undefined ? [] : [eos])]);
  const eot = EOT_TEXTS.map((t) => vocab.byText.get(t)).find((id) => id !== undefined && stops.has(id));
  return {
    bos: byName("bos_token") ?? inRange(src.configIds?.bos),
    eos,
    unknown: byName("unk_token"),
    padding: byName("pad_token") ?? inRange(src.configIds?.pad),
    eot,
  };
}

/** tokenizer_config.json's add_*_token when set, else whether the post-processor's template starts/ends with it. */
function flag(src: HfTokenizerSource, field: "add_bos_token" | "add_eos_token", id: number | undefined): boolean {
  const set = src.tokenizerConfig[field];
  if (typeof set === "boolean") return set && id !== undefined;
  if (id === undefined) return false;
  const single = templateSingle(src.tokenizerJson.post_processor as Json | null | undefined);
  if (!single || single.length === 0) return false;
  const end = field === "add_bos_token" ? single[0] : single[single.length - 1];
  const special = (end as Json).SpecialToken as Json | undefined;
  if (!special) return false;
  const pp = src.tokenizerJson.post_processor as Json;
  const entry = findSpecial(pp, String(special.id));
  return entry !== undefined && entry.includes(id);
}

function templateSingle(pp: Json | null | undefined): Json[] | undefined {
  if (!pp) return undefined;
  if (pp.type === "TemplateProcessing") return pp.single as Json[];
  if (pp.type === "Sequence") {
    for (const p of pp.processors as Json[]) {
      const found = templateSingle(p);
      if (found) return found;
    }
  }
  return undefined;
}

function findSpecial(pp: Json, name: string): number[] | undefined {
  if (pp.type === "TemplateProcessing") return ((pp.special_tokens as Json)?.[name] as Json | undefined)?.ids as number[] | undefined;
  if (pp.type === "Sequence") for (const p of pp.processors as Json[]) {
    const found = findSpecial(p, name);
    if (found) return found;
  }
  return undefined;
}

/**
 * SentencePiece's dummy prefix: a normalizer that prepends "▁" (Llama 2), or a Metaspace pre-tokenizer that
 * prepends it (newer Mistral tokenizer.json files: prepend_scheme "first" / "always", or add_prefix_space).
 */
function prependsSpace(tokenizerJson: Json): boolean {
  const n = tokenizerJson.normalizer as Json | null | undefined;
  const list = n?.type === "Sequence" ? (n.normalizers as Json[]) : n ? [n] : [];
  if (list.some((s) => s.type === "Prepend" && s.prepend === "▁")) return true;
  const p = tokenizerJson.pre_tokenizer as Json | null | undefined;
  const pres = p?.type === "Sequence" ? (p.pretokenizers as Json[]) : p ? [p] : [];
  return pres.some((s) => s.type === "Metaspace" && (s.prepend_scheme === "first" || s.prepend_scheme === "always" || s.add_prefix_space === true));
}
