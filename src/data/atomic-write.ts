import { closeSync, fsyncSync, openSync, renameSync, writeSync, rmSync } from "node:fs";

/**
 * Writes a file so that readers see either the old file or the complete new one: chunks go to a temporary file
 * beside it, which is fsynced and then renamed over the target.
 */
export class AtomicFileWriter {
  private readonly temp: string;
  private readonly fd: number;
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(private readonly target: string) {
    this.temp = `${target}.tmp-${process.pid}`;
    this.fd = openSync(this.temp, "w");
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength > 1 << 20) this.flush();
  }

  commit(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temp, this.target);
  }

  abort(): void {
    closeSync(this.fd);
    rmSync(this.temp, { force: true });
  }

  private flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, this.pending.join(""));
    this.pending = [];
    this.pendingLength = 0;
  }
}

export function writeFileAtomic(target: string, text: string): void {
  const writer = new AtomicFileWriter(target);
  try {
    writer.write(text);
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}
