import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { labelsFromSpans, type ByteSpan } from "./span-labels.js";
import { renderWithAssistantSpans, trainedTurns, type RenderedConversation, type TrainOn } from "./assistant-spans.js";
import { ChatTemplate, type RenderOptions } from "./chat-template.js";
import { TemplateError } from "./errors.js";
import type { HfTokenizerFiles } from "./hf-files.js";
import { PieceMemoEncoder } from "./piece-memo.js";
import { TokenPieces } from "./token-pieces.js";
import { IGNORE_INDEX, type ChatMessage, type TokenizedExample } from "./types.js";

/** Tokens that close a turn in the chat formats loraforge knows; each counts only if the vocabulary has it. */
const END_OF_TURN_STRINGS = ["<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "</s>", "<eos>", "<|end_of_text|>", "<|endoftext|>"];

export interface ConversationOptions {
  /** Train every assistant turn (default) or only the last one. */
  trainOn?: TrainOn;
  tools?: unknown[];
  variables?: Record<string, unknown>;
}

export interface TokenizedConversation extends TokenizedExample {
  /** The rendered text the ids were encoded from. */
  text: string;
  /** False when the template rewrites earlier turns (e.g. Qwen3's reasoning); the spans were found turn by turn. */
  prefixPreserving: boolean;
  /** Trained assistant turns that no end-of-turn token closes (the model would not learn to stop there). */
  turnsWithoutEndOfTurn: number;
  /** Per message, the tokens that start inside its content in the text; undefined where the content was not found. */
  contentTokens: Array<number | undefined>;
}

function tokenString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * A Hugging Face tokenizer with its chat template: encode/decode as `tokenizers` does, render conversations as
 * `transformers`' apply_chat_template does, and tokenize training examples with their loss masks.
 */
export class LoraTokenizer {
  /** The model folder the tokenizer came from. */
  readonly dir: string;
  /** Tokenizer files present in that folder (copy these to make another folder use the same tokenizer). */
  readonly files: readonly string[];
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly padToken?: string;
  readonly bosTokenId?: number;
  readonly padTokenId?: number;
  /** EOS ids: tokenizer_config's eos_token plus generation_config.json's eos_token_id (int or list). */
  readonly eosTokenIds: readonly number[];
  /** Ids that end a turn (EOS ids plus `<|eot_id|>`, `<|im_end|>`, `<end_of_turn>`, … when present): stop tokens. */
  readonly endOfTurnTokenIds: readonly number[];
  /** The chat template in use (the folder's, or the one passed to loadTokenizer), if any. */
  readonly chatTemplate?: ChatTemplate;

  private readonly hf: HfTokenizer;
  private readonly pieces: TokenPieces;
  private readonly memoEncoder?: PieceMemoEncoder;
  private readonly endOfTurn: ReadonlySet<number>;
  private affixes?: { prefix: number; suffix: number };

  /** `templateOrigin`: the template's file or built-in name, for errors about it. */
  constructor(files: HfTokenizerFiles, chatTemplateSource: string | undefined, templateOrigin?: string) {
    this.dir = files.dir;
    this.files = files.paths;
    const config = files.tokenizerConfig;
    this.hf = new HfTokenizer(files.tokenizerJson, config);
    widenBpeCache(this.hf);
    this.memoEncoder = PieceMemoEncoder.create(this.hf, files.tokenizerJson);
    this.pieces = new TokenPieces(files.tokenizerJson);
    this.bosToken = tokenString(config.bos_token);
    this.eosToken = tokenString(config.eos_token);
    this.padToken = tokenString(config.pad_token);
    this.bosTokenId = this.bosToken === undefined ? undefined : this.tokenToId(this.bosToken);
    this.padTokenId = this.padToken === undefined ? undefined : this.tokenToId(this.padToken);
    const eos = [this.eosToken === undefined ? undefined : this.tokenToId(this.eosToken), ...files.generationEosIds];
    this.eosTokenIds = [...new Set(eos.filter((id): id is number => id !== undefined))];
    const turnEnds = END_OF_TURN_STRINGS.map((s) => this.tokenToId(s)).filter(
      (id): id is number => id !== undefined && this.pieces.isSpecial(id),
    );
    this.endOfTurnTokenIds = [...new Set([...this.eosTokenIds, ...turnEnds])];
    this.endOfTurn = new Set(this.endOfTurnTokenIds);
    if (chatTemplateSource !== undefined) {
      this.chatTemplate = new ChatTemplate(chatTemplateSource, {
        bos_token: this.bosToken,
        eos_token: this.eosToken,
        pad_token: this.padToken,
        unk_token: tokenString(config.unk_token),
      }, templateOrigin);
    }
  }

  get vocabSize(): number {
    return this.hf.get_vocab(true).size;
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** Token ids of `text`; addSpecialTokens (default true, as in transformers) runs the post-processor (BOS…). */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    if (!addSpecialTokens && this.memoEncoder) return this.memoEncoder.encode(text);
    return this.hf.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return this.hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The template's text for a conversation, as transformers' apply_chat_template(tokenize=False) gives it. */
  applyChatTemplate(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    return this.requireChatTemplate().render(messages, options);
  }

  /**
   * Token ids of a rendered conversation, as apply_chat_template(tokenize=True): the template already writes
   * BOS, so the text is encoded without special tokens (no second BOS from a post-processor).
   */
  encodeChat(messages: readonly ChatMessage[], options: RenderOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }

  /**
   * A chat example with assistant-only labels: each trained assistant turn's content and the end-of-turn token
   * that closes it; headers, scaffolding and other roles are −100. Works for any template (see assistant-spans).
   * Throws TemplateError when nothing would be trained or the text cannot be mapped to tokens.
   */
  tokenizeConversation(messages: readonly ChatMessage[], options: ConversationOptions = {}): TokenizedConversation {
    const template = this.requireChatTemplate();
    const trained = trainedTurns(messages, options.trainOn ?? "all");
    if (trained.length === 0) throw new TemplateError("no assistant turn is trained (missing, or all have weight 0)");
    const rendered = renderWithAssistantSpans(template, messages, trained, options);
    const ids = this.encode(rendered.text, { addSpecialTokens: false });
    const offsets = this.pieces.align(rendered.text, ids);
    const byteAt = utf8Offsets(rendered.text);
    const spans = rendered.spans.map((s) => byteSpan(byteAt, s.start, s.end, { closeWithEndOfTurn: true, anythingBeforeEndOfTurn: s.hasToolCalls }));
    const { labels, spansWithoutEndOfTurn } = labelsFromSpans(ids, offsets, spans, this.pieces, this.endOfTurn);
    if (!labels.some((l) => l !== IGNORE_INDEX)) throw new TemplateError("the assistant mask came out empty");
    return {
      inputIds: ids,
      labels,
      text: rendered.text,
      prefixPreserving: rendered.prefixPreserving,
      turnsWithoutEndOfTurn: spansWithoutEndOfTurn,
      contentTokens: tokensPerContent(rendered.text, rendered.contents, offsets.start),
    };
  }

  /** Plain text, every token trained; EOS appended when missing, as TRL does; never a second BOS. */
  tokenizeText(text: string): TokenizedExample {
    const inputIds = this.encodeWithSpecials(this.withEos(text)).ids;
    return { inputIds, labels: [...inputIds] };
  }

  /**
   * A string prompt and completion, concatenated without a template (as TRL does), EOS appended; only the
   * completion is trained. A token straddling the prompt/completion boundary is trained (same rule as chat).
   */
  tokenizePromptCompletion(prompt: string, completion: string): TokenizedExample {
    const text = prompt + this.withEos(completion);
    const { ids, prefix, suffix } = this.encodeWithSpecials(text);
    const inner = ids.slice(prefix, ids.length - suffix);
    const offsets = this.pieces.align(text, inner);
    const span = byteSpan(utf8Offsets(text), prompt.length, text.length, { closeWithEndOfTurn: false, anythingBeforeEndOfTurn: false });
    const { labels } = labelsFromSpans(inner, offsets, [span], this.pieces, this.endOfTurn);
    const allLabels = [...new Array<number>(prefix).fill(IGNORE_INDEX), ...labels, ...ids.slice(ids.length - suffix)];
    if (!allLabels.some((l) => l !== IGNORE_INDEX)) throw new TemplateError("the completion mask came out empty");
    return { inputIds: ids, labels: allLabels };
  }

  /**
   * Whether rendering the start of a conversation gives the start of its full render (false for templates that
   * rewrite earlier turns, like Qwen3's reasoning scaffolding). Masks handle both; this is for reports.
   */
  get templateIsPrefixPreserving(): boolean {
    const probe: ChatMessage[] = [
      { role: "system", content: "S" },
      { role: "user", content: "U1" },
      { role: "assistant", content: "A1" },
      { role: "user", content: "U2" },
      { role: "assistant", content: "A2" },
    ];
    const template = this.requireChatTemplate();
    const full = template.render(probe);
    return [3, 4].every((n) => full.startsWith(template.render(probe.slice(0, n))));
  }

  /** The chat template, or a TemplateError that suggests --chat-template when the folder has none. */
  requireChatTemplate(): ChatTemplate {
    if (this.chatTemplate) return this.chatTemplate;
    throw new TemplateError(`the tokenizer in ${this.dir} has no chat template`, {
      hint: "pass --chat-template with a .jinja file or one of the built-in names (chatml, llama3, llama2, mistral, gemma)",
    });
  }

  private withEos(text: string): string {
    return this.eosToken !== undefined && !text.endsWith(this.eosToken) ? text + this.eosToken : text;
  }

  /** Encodes with the post-processor's tokens, dropping its BOS when the text already starts with one. */
  private encodeWithSpecials(text: string): { ids: number[]; prefix: number; suffix: number } {
    const { prefix, suffix } = this.postProcessorAffixes();
    const ids = this.encode(text, { addSpecialTokens: true });
    const doubled = prefix === 1 && ids[0] === this.bosTokenId && ids[1] === this.bosTokenId;
    return doubled ? { ids: ids.slice(1), prefix: 0, suffix } : { ids, prefix, suffix };
  }

  /** How many tokens the post-processor puts before and after the text (BOS, EOS), found once by a probe. */
  private postProcessorAffixes(): { prefix: number; suffix: number } {
    if (!this.affixes) {
      const bare = this.encode("probe", { addSpecialTokens: false });
      const full = this.encode("probe", { addSpecialTokens: true });
      const prefix = full.findIndex((_, i) => bare.every((id, k) => full[i + k] === id));
      if (prefix < 0) throw new TemplateError("the tokenizer's post-processor changes the text's tokens; cannot place them");
      this.affixes = { prefix, suffix: full.length - prefix - bare.length };
    }
    return this.affixes;
  }
}

/** Distinct pre-tokenized words whose BPE result is remembered (tokenizers.js keeps 10,000). */
const BPE_CACHE_WORDS = 500_000;

/**
 * tokenizers.js memoizes BPE per word in an LRU of 10,000 words; a dataset has far more distinct words (with and
 * without a leading space), and every miss re-runs the merges. A larger capacity changes speed, never output.
 */
function widenBpeCache(hf: HfTokenizer): void {
  const cache = (hf.model as unknown as { cache?: { capacity?: unknown } } | null)?.cache;
  if (cache && typeof cache.capacity === "number") cache.capacity = Math.max(cache.capacity, BPE_CACHE_WORDS);
}

/** How many tokens start inside each character range (ranges in increasing order, tokens' byte starts sorted). */
function tokensPerContent(text: string, ranges: RenderedConversation["contents"], tokenStarts: Uint32Array): Array<number | undefined> {
  const byteAt = utf8Offsets(text);
  let [char, token] = [0, 0];
  return ranges.map((range) => {
    if (range === undefined || range.start < char) return undefined;
    const [startByte, endByte] = [byteAt(range.start), byteAt(range.end)];
    char = range.end;
    while (token < tokenStarts.length && tokenStarts[token] < startByte) token++;
    const first = token;
    while (token < tokenStarts.length && tokenStarts[token] < endByte) token++;
    return token - first;
  });
}

/**
 * UTF-8 byte offsets of character offsets in `text`, each counted on from the one asked before it: offsets asked in
 * increasing order (spans in text order) cost one pass over the text, not one per span from its start.
 */
function utf8Offsets(text: string): (char: number) => number {
  let [char, byte] = [0, 0];
  return (at) => {
    if (at < char) [char, byte] = [0, 0];
    byte += Buffer.byteLength(text.slice(char, at));
    char = at;
    return byte;
  };
}

function byteSpan(byteAt: (char: number) => number, start: number, end: number, flags: Omit<ByteSpan, "start" | "end">): ByteSpan {
  return { start: byteAt(start), end: byteAt(end), ...flags };
}
