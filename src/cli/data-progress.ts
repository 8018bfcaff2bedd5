import cliProgress from "cli-progress";
import type { DataProgressEvent } from "../data/index.js";

/** Seconds between two plain progress lines when stderr is not a terminal (logs, CI). */
const LINE_INTERVAL_S = 5;

/**
 * Shows `data check` / `data prepare` progress on stderr, in the style of training's: a bar with records, tokens/s
 * and ETA on a terminal; otherwise a plain line every few seconds and one when each phase ends.
 */
export class DataProgress {
  private bar?: cliProgress.SingleBar;
  private lastLine = -Infinity;
  /** The first tokenize event: rates are measured from it (the batch before it had no clock). */
  private first?: { at: number; records: number; tokens: number };

  constructor(
    private readonly tty = Boolean(process.stderr.isTTY),
    private readonly intervalS = LINE_INTERVAL_S,
    private readonly now = () => Date.now(),
  ) {}

  readonly update = (e: DataProgressEvent): void => {
    if (e.phase === "read") return this.line(e.done ? `read ${e.records} rows` : `reading: ${e.records} rows`, e.done);
    const at = this.now();
    this.first ??= { at, records: e.records, tokens: e.tokens };
    const seconds = (at - this.first.at) / 1000;
    const tps = seconds > 0 ? ((e.tokens - this.first.tokens) / seconds).toFixed(0) : "…";
    if (this.tty) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          { format: "tokenize {value}/{total} records |{bar}| {tps} tok/s · ETA {eta_formatted}", stream: process.stderr, etaBuffer: 20 },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(e.total, 0, { tps });
      }
      this.bar.update(e.records, { tps });
      if (e.records === e.total) this.stop();
      return;
    }
    const recordsPerSecond = seconds > 0 ? (e.records - this.first.records) / seconds : 0;
    const eta = recordsPerSecond > 0 ? `${((e.total - e.records) / recordsPerSecond).toFixed(0)}s` : "…";
    this.line(`tokenize: ${e.records}/${e.total} records, ${tps} tok/s, ETA ${eta}`, e.records === e.total);
  };

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** A plain line: on a terminal only when it ends a phase; otherwise at most every intervalS, and always at the end. */
  private line(text: string, final: boolean): void {
    const at = this.now();
    if (!final && (this.tty || (at - this.lastLine) / 1000 < this.intervalS)) return;
    this.lastLine = at;
    console.error(text);
  }
}
