import { TemplateError } from "./errors.js";

interface AddedTokenInfo {
  content: string;
  lstrip: boolean;
  rstrip: boolean;
  special: boolean;
}

/** Byte offsets of each token in the UTF-8 text it came from: token i covers bytes [start[i], end[i]). */
export interface TokenOffsets {
  start: Uint32Array;
  end: Uint32Array;
}

/** GPT-2's byte→printable-character table, inverted: byte-level BPE vocab characters back to bytes. */
function byteLevelCharToByte(): Map<string, number> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Map<string, number>();
  for (const b of printable) map.set(String.fromCharCode(b), b);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) map.set(String.fromCharCode(256 + shifted++), b);
  }
  return map;
}

function mentionsByteLevel(node: unknown): boolean {
  if (node === null || typeof node !== "object") return false;
  const record = node as Record<string, unknown>;
  if (record.type === "ByteLevel") return true;
  return Object.values(record).some((v) => (Array.isArray(v) ? v.some(mentionsByteLevel) : mentionsByteLevel(v)));
}

const WHITESPACE_BYTES = new Set([0x20, 0x09, 0x0a, 0x0d]);
const encoder = new TextEncoder();

/**
 * The exact bytes each token id stands for, read from tokenizer.json (byte-level BPE, or SentencePiece-style
 * with `▁` and `<0xNN>` byte tokens), so that tokens can be placed back on the text they were cut from.
 * @huggingface/tokenizers gives no offsets; this is how masks find which tokens a character span covers.
 */
export class TokenPieces {
  private readonly vocab: string[] = [];
  private readonly added = new Map<number, AddedTokenInfo>();
  private readonly cache = new Map<number, Uint8Array>();
  private readonly charToByte?: Map<string, number>;

  constructor(tokenizerJson: Record<string, unknown>) {
    const model = (tokenizerJson.model ?? {}) as { vocab?: unknown };
    if (Array.isArray(model.vocab)) {
      (model.vocab as Array<[string, number]>).forEach(([piece], id) => (this.vocab[id] = piece));
    } else if (model.vocab && typeof model.vocab === "object") {
      for (const [piece, id] of Object.entries(model.vocab as Record<string, number>)) this.vocab[id] = piece;
    }
    for (const t of (tokenizerJson.added_tokens ?? []) as Array<Record<string, unknown>>) {
      this.added.set(t.id as number, {
        content: String(t.content),
        lstrip: t.lstrip === true,
        rstrip: t.rstrip === true,
        special: t.special === true,
      });
    }
    if (mentionsByteLevel(tokenizerJson.decoder) || mentionsByteLevel(tokenizerJson.pre_tokenizer)) {
      this.charToByte = byteLevelCharToByte();
    }
  }

  /** Whether the id is an added token flagged `special` (turn markers, BOS/EOS, …). */
  isSpecial(id: number): boolean {
    return this.added.get(id)?.special === true;
  }

  bytes(id: number): Uint8Array {
    let bytes = this.cache.get(id);
    if (bytes === undefined) {
      bytes = this.computeBytes(id);
      this.cache.set(id, bytes);
    }
    return bytes;
  }

  isWhitespace(id: number): boolean {
    if (this.isSpecial(id)) return false;
    const bytes = this.bytes(id);
    return bytes.length > 0 && bytes.every((b) => WHITESPACE_BYTES.has(b));
  }

  private computeBytes(id: number): Uint8Array {
    const added = this.added.get(id);
    if (added) return encoder.encode(added.content);
    const piece = this.vocab[id];
    if (piece === undefined) throw new TemplateError(`token id ${id} is not in the vocabulary`);
    if (this.charToByte) {
      return Uint8Array.from(Array.from(piece, (ch) => this.charToByte!.get(ch) ?? 0x3f));
    }
    const byteToken = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
    if (byteToken) return Uint8Array.of(parseInt(byteToken[1], 16));
    return encoder.encode(piece.replaceAll("\u2581", " "));
  }

  /**
   * Places each token on the UTF-8 bytes of `text` (the text that was encoded without special tokens).
   * A leading space that a normalizer prepended (SentencePiece's `▁` prefix) is not in the text and is skipped;
   * added tokens with lstrip/rstrip absorb the whitespace beside them. Anything else that does not line up
   * is an error, since a mask built on misplaced tokens would be silently wrong.
   */
  align(text: string, ids: readonly number[]): TokenOffsets {
    const bytes = encoder.encode(text);
    const start = new Uint32Array(ids.length);
    const end = new Uint32Array(ids.length);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const piece = this.bytes(ids[i]);
      const added = this.added.get(ids[i]);
      if (added?.lstrip) while (at < bytes.length && WHITESPACE_BYTES.has(bytes[at]) && !matchesAt(bytes, at, piece)) at++;
      let length = piece.length;
      if (!matchesAt(bytes, at, piece)) {
        const prependedSpace = !added && piece[0] === 0x20 && matchesAt(bytes, at, piece.subarray(1));
        if (!prependedSpace) throw misaligned(bytes, at, i);
        length--;
      }
      start[i] = at;
      at += length;
      end[i] = at;
      if (added?.rstrip) while (at < bytes.length && WHITESPACE_BYTES.has(bytes[at])) at++;
    }
    if (at !== bytes.length) throw misaligned(bytes, at, ids.length);
    return { start, end };
  }
}

function matchesAt(bytes: Uint8Array, at: number, piece: Uint8Array): boolean {
  if (at + piece.length > bytes.length) return false;
  for (let k = 0; k < piece.length; k++) if (bytes[at + k] !== piece[k]) return false;
  return true;
}

function misaligned(bytes: Uint8Array, at: number, tokenIndex: number): TemplateError {
  const near = new TextDecoder().decode(bytes.subarray(Math.max(0, at - 20), at + 20));
  return new TemplateError(
    `tokens do not line up with the rendered text at token ${tokenIndex} (byte ${at} of ${bytes.length}, near ${JSON.stringify(near)})`,
    { hint: "the tokenizer normalizes text in a way loraforge cannot map back (e.g. lowercasing); the mask cannot be computed" },
  );
}
