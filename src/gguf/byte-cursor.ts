import fs from "node:fs";
import { InputError } from "../util/errors.js";

const WINDOW = 1 << 20;
// ignoreBOM keeps a leading U+FEFF: it is part of a token's text (Gemma 3 has "\uFEFF//" beside "//").
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Sequential little-endian reads from a file descriptor through a 1 MiB window, so a GGUF header (which can hold
 * megabytes of vocabulary) is parsed without reading the tensor data. Every read is bounds-checked against the
 * file size: a truncated or lying header is an InputError naming the field, never a RangeError.
 */
export class ByteCursor {
  readonly file: string;
  private readonly fd: number;
  private readonly fileSize: number;
  private buf = Buffer.alloc(0);
  /** File offset of buf[0]. */
  private base = 0;
  private pos = 0;

  constructor(fd: number, fileSize: number, file: string) {
    this.fd = fd;
    this.fileSize = fileSize;
    this.file = file;
  }

  get position(): number {
    return this.pos;
  }

  /** Makes n bytes at the cursor available in buf and returns their index there (call before reading buf). */
  private take(n: number, field: string): number {
    if (this.pos + n > this.fileSize) {
      throw new InputError(`the file ends inside this field (at byte ${this.pos} of ${this.fileSize}): truncated GGUF`, { file: this.file, field });
    }
    if (this.pos + n > this.base + this.buf.length) {
      const size = Math.min(Math.max(n, WINDOW), this.fileSize - this.pos);
      const next = Buffer.alloc(size);
      let done = 0;
      while (done < size) {
        const got = fs.readSync(this.fd, next, done, size - done, this.pos + done);
        if (got === 0) throw new InputError("the file ended while reading", { file: this.file, field });
        done += got;
      }
      this.buf = next;
      this.base = this.pos;
    }
    const at = this.pos - this.base;
    this.pos += n;
    return at;
  }

  u8(field: string): number {
    const at = this.take(1, field);
    return this.buf.readUInt8(at);
  }
  i8(field: string): number {
    const at = this.take(1, field);
    return this.buf.readInt8(at);
  }
  u16(field: string): number {
    const at = this.take(2, field);
    return this.buf.readUInt16LE(at);
  }
  i16(field: string): number {
    const at = this.take(2, field);
    return this.buf.readInt16LE(at);
  }
  u32(field: string): number {
    const at = this.take(4, field);
    return this.buf.readUInt32LE(at);
  }
  i32(field: string): number {
    const at = this.take(4, field);
    return this.buf.readInt32LE(at);
  }
  f32(field: string): number {
    const at = this.take(4, field);
    return this.buf.readFloatLE(at);
  }
  f64(field: string): number {
    const at = this.take(8, field);
    return this.buf.readDoubleLE(at);
  }

  /** A u64 that must be an exact JS number. */
  u64(field: string): number {
    const at = this.take(8, field);
    const v = this.buf.readBigUInt64LE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`value ${v} is too large`, { file: this.file, field });
    return Number(v);
  }

  i64(field: string): number {
    const at = this.take(8, field);
    const v = this.buf.readBigInt64LE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new InputError(`value ${v} is out of range`, { file: this.file, field });
    }
    return Number(v);
  }

  /**
   * A u64 count of items that take at least `minItemBytes` each in the rest of the file: a count the file cannot
   * hold is rejected before anything is allocated for it.
   */
  count(field: string, minItemBytes: number): number {
    const n = this.u64(field);
    if (minItemBytes > 0 && n * minItemBytes > this.fileSize - this.pos) {
      throw new InputError(`count ${n} cannot fit in the ${this.fileSize - this.pos} bytes left: truncated or corrupt GGUF`, { file: this.file, field });
    }
    return n;
  }

  /** gguf_string: u64 byte length, then UTF-8 bytes without a terminator. */
  string(field: string): string {
    const n = this.count(field, 1);
    const at = this.take(n, field);
    try {
      return decoder.decode(this.buf.subarray(at, at + n));
    } catch {
      throw new InputError("a string that is not valid UTF-8", { file: this.file, field });
    }
  }
}
