import fs from "node:fs";
import path from "node:path";

/**
 * Crash-safe file and folder writes: data goes to a temporary name beside the target, is fsynced, and is renamed
 * over the target (rename is atomic on POSIX); the folder is then fsynced so the rename itself survives a crash.
 * A crash or Ctrl-C leaves either the old file or the new one, plus at most a stray `*.tmp-*` file.
 */

function tempName(target: string): string {
  return `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** fsync of a directory, so a rename inside it is durable. Some filesystems refuse it; that is not an error. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Not supported here (e.g. some network or Windows filesystems): the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * A file written in pieces over time (through `fd`, e.g. with writeAll) under a temporary name beside `target`;
 * commit() fsyncs it and renames it over the target, abort() removes it. Until commit, `target` is untouched.
 */
export class AtomicFileWriter {
  readonly fd: number;
  private readonly tmp: string;
  private open = true;

  constructor(readonly target: string) {
    this.tmp = tempName(target);
    this.fd = fs.openSync(this.tmp, "w");
  }

  commit(): void {
    try {
      fs.fsyncSync(this.fd);
    } catch (err) {
      this.abort();
      throw err;
    }
    this.close();
    try {
      fs.renameSync(this.tmp, this.target);
    } catch (err) {
      fs.rmSync(this.tmp, { force: true });
      throw err;
    }
    fsyncDir(path.dirname(this.target));
  }

  /** Removes the temporary file (the target keeps what it held). Safe to call more than once. */
  abort(): void {
    this.close();
    fs.rmSync(this.tmp, { force: true });
  }

  private close(): void {
    if (this.open) fs.closeSync(this.fd);
    this.open = false;
  }
}

/** Writes a file through `write(fd)` (positioned or sequential writes), then moves it into place atomically. */
export function writeFileAtomicWith(target: string, write: (fd: number) => void): void {
  const file = new AtomicFileWriter(target);
  try {
    write(file.fd);
  } catch (err) {
    file.abort();
    throw err;
  }
  file.commit();
}

// Fault injection for the crash-safety tests: LORAFORGE_FAULT_ENOSPC_AFTER_BYTES=N makes this thread's writes fail
// like a full disk once N bytes have gone through writeAll; LORAFORGE_FAULT_SIGKILL_AFTER_BYTES=N kills the process
// with SIGKILL there instead (a crash in the middle of writing, which a timer rarely hits).
const faultLimit = Number(process.env.LORAFORGE_FAULT_ENOSPC_AFTER_BYTES ?? Infinity);
const killLimit = Number(process.env.LORAFORGE_FAULT_SIGKILL_AFTER_BYTES ?? Infinity);
let bytesWritten = 0;

function injectedFault(count: number): void {
  bytesWritten += count;
  if (bytesWritten > killLimit) process.kill(process.pid, "SIGKILL");
  if (bytesWritten > faultLimit) {
    throw Object.assign(new Error("ENOSPC: no space left on device, write (injected by LORAFORGE_FAULT_ENOSPC_AFTER_BYTES)"), { code: "ENOSPC" });
  }
}

/** Writes all of `bytes` at the file's current position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  injectedFault(bytes.length);
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, Math.min(1 << 30, bytes.length - done));
}

/** Writes a whole string or buffer atomically. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  writeFileAtomicWith(target, (fd) => writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data));
}

/**
 * Builds a folder in a temporary sibling through `fill(tmpDir)`, then puts it at `target` in one rename
 * (replacing an existing folder when `replace` is set). Nobody ever sees a half-written folder at `target`.
 */
export function writeDirAtomic(target: string, fill: (tmpDir: string) => void, options: { replace?: boolean } = {}): void {
  const parent = path.dirname(path.resolve(target));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = tempName(path.resolve(target));
  fs.mkdirSync(tmp);
  try {
    fill(tmp);
    for (const name of fs.readdirSync(tmp)) fsyncFile(path.join(tmp, name));
    fsyncDir(tmp);
    if (fs.existsSync(target)) {
      if (!options.replace) throw new Error(`writeDirAtomic: ${target} exists`);
      // Move the old folder aside first so the swap is a rename, then delete it.
      const old = tempName(path.resolve(target));
      fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fsyncDir(parent);
}

/**
 * Deletes a folder so that its name never shows a half-deleted folder: it is renamed to a temporary sibling first
 * (one atomic step), then removed. A crash in between leaves only a `*.tmp-*` folder.
 */
export function removeDirAtomic(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const doomed = tempName(path.resolve(dir));
  fs.renameSync(dir, doomed);
  fsyncDir(path.dirname(doomed));
  fs.rmSync(doomed, { recursive: true, force: true });
}

function fsyncFile(file: string): void {
  if (!fs.statSync(file).isFile()) return;
  const fd = fs.openSync(file, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
