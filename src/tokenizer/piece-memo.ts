import type { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";

/**
 * Cut points that every GPT-2/GPT-4-style byte-level pre-tokenizer regex also cuts at: before a space that
 * follows a non-space character and precedes a letter. No regex match ends in a space unless it is a run of
 * whitespace (which needs whitespace before it), and " " + letters always opens a new match.
 */
const SAFE_CUT = /(?<=\S)(?= \p{L})/u;

/** Memoized pieces before the map is cleared (bounds memory on huge, diverse inputs). */
const MAX_PIECES = 1_000_000;
/** Characters of memoized sections per generation (two are kept: at most ~2 MB of text and ids). */
const SECTION_GENERATION_CHARS = 1 << 19;

function isByteLevelSplitPipeline(json: Record<string, unknown>): boolean {
  const pre = json.pre_tokenizer as { type?: string; pretokenizers?: Array<{ type?: string; behavior?: string; invert?: boolean }>; use_regex?: boolean } | null;
  const byteLevelWithRegex = pre?.type === "ByteLevel" && pre.use_regex !== false;
  const splitThenByteLevel =
    pre?.type === "Sequence" &&
    pre.pretokenizers?.length === 2 &&
    pre.pretokenizers[0].type === "Split" &&
    pre.pretokenizers[0].behavior === "Isolated" &&
    pre.pretokenizers[0].invert !== true &&
    pre.pretokenizers[1].type === "ByteLevel";
  return byteLevelWithRegex || splitThenByteLevel;
}

/** Every added token's text, longest first (so the leftmost match is the longest, as the library matches them). */
function addedTokenPattern(added: ReadonlyArray<{ id: number; content: string }>): { pattern: RegExp; ids: ReadonlyMap<string, number> } {
  const contents = added.map((t) => t.content).sort((a, b) => b.length - a.length);
  const escaped = contents.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  // No added token: a pattern that never matches.
  return { pattern: new RegExp(escaped.length > 0 ? escaped.join("|") : "(?!)", "gu"), ids: new Map(added.map((t) => [t.content, t.id])) };
}

/**
 * The piece as a string of its own: a piece cut from a text by split() may be a view that keeps the whole text
 * (a long conversation) alive for as long as the memo holds the piece.
 */
function ownCopy(piece: string): string {
  return Buffer.from(piece, "utf8").toString("utf8");
}

/**
 * Encodes text as @huggingface/tokenizers does, faster: the text is cut where the byte-level pre-tokenizer cuts
 * anyway, and each piece's ids are memoized, since datasets repeat the same words endlessly. Used only for
 * tokenizers it is exact for (byte-level BPE with a GPT-style split, no normalizer but NFC, no added token that
 * strips whitespace or contains a space); `npm test` checks it token for token against the library.
 */
export class PieceMemoEncoder {
  private readonly memo = new Map<string, number[]>();
  /** Whole sections' ids, in two generations: the newest, and the one before (see appendSection). */
  private sections = new Map<string, Uint32Array>();
  private olderSections = new Map<string, Uint32Array>();
  private sectionChars = 0;

  private constructor(
    private readonly hf: HfTokenizer,
    private readonly addedTokens: { pattern: RegExp; ids: ReadonlyMap<string, number> },
  ) {}

  static create(hf: HfTokenizer, json: Record<string, unknown>): PieceMemoEncoder | undefined {
    const normalizer = json.normalizer as { type?: string } | null | undefined;
    const added = (json.added_tokens ?? []) as Array<{ id: number; content: string; lstrip?: boolean; rstrip?: boolean; normalized?: boolean; single_word?: boolean }>;
    const supported =
      (json.model as { type?: string } | undefined)?.type === "BPE" &&
      (normalizer == null || normalizer.type === "NFC") &&
      isByteLevelSplitPipeline(json) &&
      added.every((t) => !t.lstrip && !t.rstrip && !t.single_word && !t.content.includes(" ") && (normalizer == null || t.normalized === false));
    return supported ? new PieceMemoEncoder(hf, addedTokenPattern(added)) : undefined;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    const { pattern } = this.addedTokens;
    let from = 0;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      this.appendSection(text.slice(from, match.index), ids);
      ids.push(this.addedTokens.ids.get(match[0])!);
      from = pattern.lastIndex;
    }
    this.appendSection(text.slice(from), ids);
    return ids;
  }

  /**
   * A run of text between two added tokens. The library splits added tokens out before anything else (matched in
   * the raw text: create() takes only unnormalized ones), so each run is tokenized on its own, and a whole run's
   * ids can be memoized: a long conversation's messages come back unchanged when the `turns` policy re-renders
   * parts of it.
   */
  private appendSection(section: string, ids: number[]): void {
    if (section.length === 0) return;
    for (const id of this.sections.get(section) ?? this.olderSections.get(section) ?? this.tokenizeSection(section)) ids.push(id);
  }

  /**
   * A section's ids from its pieces, memoized in the newest generation; once that holds SECTION_GENERATION_CHARS,
   * it becomes the older one and the one before is dropped, so the last conversation's sections stay at hand.
   */
  private tokenizeSection(section: string): Uint32Array {
    const ids: number[] = [];
    for (const piece of section.split(SAFE_CUT)) for (const id of this.pieceIds(piece)) ids.push(id);
    if (this.sectionChars + section.length > SECTION_GENERATION_CHARS) {
      [this.olderSections, this.sections, this.sectionChars] = [this.sections, new Map(), 0];
    }
    const packed = Uint32Array.from(ids);
    this.sections.set(ownCopy(section), packed);
    this.sectionChars += section.length;
    return packed;
  }

  private pieceIds(piece: string): number[] {
    const cached = this.memo.get(piece);
    if (cached !== undefined) return cached;
    const ids: number[] = this.hf.encode(piece, { add_special_tokens: false }).ids;
    if (this.memo.size >= MAX_PIECES) this.memo.clear();
    this.memo.set(ownCopy(piece), ids);
    return ids;
  }
}
