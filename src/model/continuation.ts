import { ConfigError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import type { SamplingOptions } from "./sampling.js";
import { checkSampling, pickToken } from "./sampling.js";

export interface ContinuationOptions extends SamplingOptions {
  /** Default 256. */
  maxNewTokens?: number;
  /** Seed of the sampler (ignored when greedy). */
  seed?: number;
  /** Stop after emitting one of these ids (default: the model's eos ids, end-of-turn included). */
  eosTokenIds?: readonly number[];
  /** Stop when the decoded continuation contains one of these; needs `decode`. The text ends before it. */
  stopStrings?: readonly string[];
  decode?: (ids: number[]) => string;
}

export type FinishReason = "eos" | "stop" | "length";

/**
 * One sequence's generation state: chooses each next token from its logits with the sampler and says when the
 * sequence is done. `generate` and the server's scheduler both drive it, one sequence or many at a time.
 */
export class Continuation {
  /** The new tokens (the eos token included when it ended the generation). */
  readonly tokens: number[] = [];
  finishReason?: FinishReason;
  readonly maxNewTokens: number;
  private readonly history: number[];
  private readonly promptLength: number;
  private readonly rng: Rng;
  private readonly eos: Set<number>;
  private decoded = { count: 0, text: "" };
  private cutText?: string;

  constructor(
    promptIds: readonly number[],
    private readonly options: ContinuationOptions,
    modelEosTokenIds: readonly number[],
  ) {
    checkSampling(options);
    this.maxNewTokens = options.maxNewTokens ?? 256;
    if (!(Number.isInteger(this.maxNewTokens) && this.maxNewTokens >= 0)) throw new ConfigError(`max new tokens must be a non-negative integer, got ${this.maxNewTokens}`);
    if (promptIds.length === 0) throw new ConfigError("generate: the prompt is empty");
    if (options.stopStrings?.length && !options.decode) throw new ConfigError("generate: stop strings need a decode function");
    this.history = [...promptIds];
    this.promptLength = promptIds.length;
    this.eos = new Set(options.eosTokenIds ?? modelEosTokenIds);
    this.rng = new Rng(options.seed ?? 0);
    if (this.maxNewTokens === 0) this.finishReason = "length";
  }

  get done(): boolean {
    return this.finishReason !== undefined;
  }

  /** Picks the next token from the logits of the sequence's last position, records it and returns it. */
  next(logits: ArrayLike<number>): number {
    if (this.done) throw new Error("Continuation.next: the sequence is already done");
    const id = pickToken(logits, this.history, this.options, this.rng, this.promptLength);
    this.tokens.push(id);
    this.history.push(id);
    if (this.eos.has(id)) this.finishReason = "eos";
    else if ((this.cutText = this.stopCut()) !== undefined) this.finishReason = "stop";
    else if (this.tokens.length >= this.maxNewTokens) this.finishReason = "length";
    return id;
  }

  /** The decoded continuation (cut before a stop string once one ended it); needs `decode`. */
  text(): string {
    return this.cutText ?? this.decode();
  }

  /**
   * The part of the text that later tokens cannot change: all of it once done; before that, without a trailing
   * partial character (U+FFFD) and without a tail that could be the start of a stop string.
   */
  settledText(): string {
    if (this.done) return this.text();
    let text = this.decode();
    while (text.endsWith("\uFFFD")) text = text.slice(0, -1);
    let hold = 0;
    for (const stop of this.options.stopStrings ?? []) {
      for (let n = Math.min(stop.length - 1, text.length); n > hold; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    return text.slice(0, text.length - hold);
  }

  /** The decoded tokens, memoized per token count. */
  private decode(): string {
    if (!this.options.decode) throw new ConfigError("generate: text needs a decode function");
    if (this.decoded.count !== this.tokens.length) this.decoded = { count: this.tokens.length, text: this.options.decode(this.tokens) };
    return this.decoded.text;
  }

  /** The continuation cut before the first stop string it contains, or undefined. */
  private stopCut(): string | undefined {
    if (!this.options.stopStrings?.length) return undefined;
    const text = this.decode();
    let cut = -1;
    for (const s of this.options.stopStrings) {
      const at = text.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    return cut >= 0 ? text.slice(0, cut) : undefined;
  }
}
