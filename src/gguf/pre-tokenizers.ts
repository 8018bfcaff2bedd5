/**
 * `tokenizer.ggml.pre` → the regex list llama.cpp splits text with before byte-level BPE (llama-vocab.cpp; see
 * docs/formats/gguf.md, "Pre-tokenizers"). Each regex re-splits every piece so far; the text between matches stays
 * a piece of its own, which is HF tokenizers' Split with the "Isolated" behaviour.
 */
export interface PreTokenizerRule {
  regexes: string[];
  /** llama.cpp emits a pre-token that is itself in the vocabulary whole, without merging. */
  ignoreMerges: boolean;
  /** llama.cpp's add_bos default for this pre type when `tokenizer.ggml.add_bos_token` is absent. */
  addBosByDefault: boolean;
}

const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const plain = (regexes: string[]): PreTokenizerRule => ({ regexes, ignoreMerges: false, addBosByDefault: false });
const llama3: PreTokenizerRule = { regexes: [LLAMA3], ignoreMerges: true, addBosByDefault: true };

const RULES: Record<string, PreTokenizerRule> = {
  default: plain(["[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"]),
  "gpt-2": plain([GPT2]),
  "llama-bpe": llama3,
  llama3,
  "llama-v3": llama3,
  qwen2: plain([QWEN2]),
  smollm: plain(["\\p{N}", GPT2]),
  starcoder: plain(["\\p{N}", GPT2]),
};

/** The rule for a pre name, or undefined when loraforge does not know it (the caller refuses it by name). */
export function preTokenizerRule(pre: string): PreTokenizerRule | undefined {
  return RULES[pre];
}

export const KNOWN_PRE_TOKENIZERS = Object.keys(RULES);
