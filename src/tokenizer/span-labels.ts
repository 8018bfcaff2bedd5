import type { TokenOffsets, TokenPieces } from "./token-pieces.js";
import { IGNORE_INDEX } from "./types.js";

/** A trained region in UTF-8 byte offsets of the encoded text. */
export interface ByteSpan {
  start: number;
  end: number;
  /** Extend the trained tokens through the end-of-turn token that closes the span. */
  closeWithEndOfTurn: boolean;
  /** Anything (not just whitespace) may sit between the span and its end-of-turn token (tool calls). */
  anythingBeforeEndOfTurn: boolean;
}

export interface SpanLabels {
  labels: number[];
  /** Spans that should have closed with an end-of-turn token but found none. */
  spansWithoutEndOfTurn: number;
}

/**
 * Labels from trained byte spans. The straddling rule: a token is trained when any of its bytes lies in a
 * trained span (what transformers' char_to_token gives for `return_assistant_tokens_mask`). After a span, the
 * end-of-turn token that closes it is trained as well, together with whitespace tokens between them — the model
 * must learn to stop — but nothing after it (the newline a template prints after `<|im_end|>`).
 */
export function labelsFromSpans(
  ids: readonly number[],
  offsets: TokenOffsets,
  spans: readonly ByteSpan[],
  pieces: TokenPieces,
  endOfTurn: ReadonlySet<number>,
): SpanLabels {
  const labels = new Array<number>(ids.length).fill(IGNORE_INDEX);
  let spansWithoutEndOfTurn = 0;
  let token = 0;
  for (const span of spans) {
    // An empty span (a tool-call turn without text) starts at the first token at or after its position.
    const before = (t: number) => (span.start === span.end ? offsets.start[t] < span.start : offsets.end[t] <= span.start);
    while (token < ids.length && before(token)) token++;
    while (token < ids.length && offsets.start[token] < span.end) labels[token] = ids[token++];
    if (!span.closeWithEndOfTurn) continue;
    let next = token;
    while (next < ids.length && !endOfTurn.has(ids[next])) {
      const between = span.anythingBeforeEndOfTurn ? !pieces.isSpecial(ids[next]) : pieces.isWhitespace(ids[next]);
      if (!between) break;
      next++;
    }
    if (next < ids.length && endOfTurn.has(ids[next])) {
      for (; token <= next; token++) labels[token] = ids[token];
    } else {
      spansWithoutEndOfTurn++;
    }
  }
  return { labels, spansWithoutEndOfTurn };
}
