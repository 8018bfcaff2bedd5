import cliProgress from "cli-progress";
import type { PullProgress, RepoFile } from "../hub/index.js";

const MB = 1024 * 1024;

/** Download progress: a bar per file and one for the total on a terminal; a line per finished file otherwise. */
export class PullBars implements PullProgress {
  private multi?: cliProgress.MultiBar;
  private total?: cliProgress.SingleBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private doneBytes = 0;
  private sum = 0;

  constructor(private readonly tty = Boolean(process.stderr.isTTY)) {}

  files(files: readonly RepoFile[]): void {
    this.sum += files.reduce((s, f) => s + f.size, 0);
    if (!this.tty) return;
    this.multi ??= new cliProgress.MultiBar(
      { format: "{name} |{bar}| {got}/{size} MB", stream: process.stderr, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    if (!this.total) this.total = this.multi.create(this.sum, 0, { name: "total".padEnd(34), got: "0", size: mb(this.sum) });
    else this.total.setTotal(this.sum);
    for (const f of files) this.bars.set(f.path, this.multi.create(f.size, 0, { name: f.path.slice(-34).padEnd(34), got: "0", size: mb(f.size) }));
  }

  bytes(file: RepoFile, n: number): void {
    this.doneBytes += n;
    const bar = this.bars.get(file.path);
    if (!bar) return;
    bar.increment(n, { got: mb(bar.getProgress() * file.size + n) });
    this.total?.update(this.doneBytes, { got: mb(this.doneBytes), size: mb(this.sum) });
  }

  done(file: RepoFile): void {
    if (!this.tty) console.error(`${file.path} (${mb(file.size)} MB)`);
  }

  stop(): void {
    this.multi?.stop();
  }
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(bytes < 10 * MB ? 2 : 0);
}
