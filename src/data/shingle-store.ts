import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError } from "../util/errors.js";

/** Bytes of shingle sets kept in memory before they go to the file. */
const DEFAULT_BUFFER_BYTES = 4 << 20;

/**
 * Append-only shingle sets, read back by id: what near-duplicate verification needs of every survivor, kept on
 * disk so memory holds only an offset per set. The newest sets wait in a buffer; a temporary file (created on the
 * first spill, removed by close()) holds the rest. Reads are rare: only LSH candidates are verified.
 */
export class ShingleStore {
  private readonly offsets: number[] = [0];
  private buffer: Uint8Array;
  private buffered = 0;
  private spilled = 0;
  private dir?: string;
  private fd?: number;

  constructor(private readonly bufferBytes = DEFAULT_BUFFER_BYTES) {
    this.buffer = new Uint8Array(bufferBytes);
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  /** Stores a set; its id is the number of sets stored before it. */
  add(shingles: Uint32Array): void {
    const bytes = new Uint8Array(shingles.buffer, shingles.byteOffset, shingles.byteLength);
    if (this.buffered + bytes.length > this.bufferBytes) this.spill();
    if (bytes.length > this.bufferBytes) this.write(bytes);
    else {
      this.buffer.set(bytes, this.buffered);
      this.buffered += bytes.length;
    }
    this.offsets.push(this.offsets[this.offsets.length - 1] + bytes.length);
  }

  get(id: number): Uint32Array {
    const [start, end] = [this.offsets[id], this.offsets[id + 1]];
    const out = new Uint32Array((end - start) / 4);
    const bytes = new Uint8Array(out.buffer);
    if (start >= this.spilled) bytes.set(this.buffer.subarray(start - this.spilled, end - this.spilled));
    else for (let done = 0; done < bytes.length; ) done += fs.readSync(this.fd!, bytes, done, bytes.length - done, start + done);
    return out;
  }

  /** Removes the temporary file. */
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    if (this.dir !== undefined) fs.rmSync(this.dir, { recursive: true, force: true });
    this.fd = this.dir = undefined;
  }

  private spill(): void {
    this.write(this.buffer.subarray(0, this.buffered));
    this.buffered = 0;
  }

  private write(bytes: Uint8Array): void {
    try {
      if (this.fd === undefined) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-shingles-"));
        this.fd = fs.openSync(path.join(this.dir, "sets"), "w+");
      }
      for (let done = 0; done < bytes.length; ) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.spilled + done);
    } catch (err) {
      throw new InputError(`could not write the near-duplicate index: ${(err as Error).message}`, { file: this.dir ?? os.tmpdir() }, {
        hint: "free some space in the temporary folder, or point TMPDIR at a folder with room",
        cause: err,
      });
    }
    this.spilled += bytes.length;
  }
}
