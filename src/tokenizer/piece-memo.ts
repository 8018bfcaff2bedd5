import type { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";

/**
 * Cut points that every GPT-2/GPT-4-style byte-level pre-tokenizer regex also cuts at: before a space that
 * follows a non-space character and precedes a letter. No regex match ends in a space unless it is a run of
 * whitespace (which needs whitespace before it), and " " + letters always opens a new match.
 */
const SAFE_CUT = /(?<=\S)(?= \p{L})/u;

/** Memoized pieces before the map is cleared (bounds memory on huge, diverse inputs). */
const MAX_PIECES = 1_000_000;

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

  private constructor(private readonly hf: HfTokenizer) {}

  static create(hf: HfTokenizer, json: Record<string, unknown>): PieceMemoEncoder | undefined {
    const normalizer = json.normalizer as { type?: string } | null | undefined;
    const added = (json.added_tokens ?? []) as Array<{ content: string; lstrip?: boolean; rstrip?: boolean }>;
    const supported =
      (json.model as { type?: string } | undefined)?.type === "BPE" &&
      (normalizer == null || normalizer.type === "NFC") &&
      isByteLevelSplitPipeline(json) &&
      added.every((t) => !t.lstrip && !t.rstrip && !t.content.includes(" "));
    return supported ? new PieceMemoEncoder(hf) : undefined;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of text.split(SAFE_CUT)) {
      for (const id of this.pieceIds(piece)) ids.push(id);
    }
    return ids;
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
