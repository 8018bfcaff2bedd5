import fs from "node:fs";
import type { DType } from "../tensor/index.js";
import { Tensor, bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "../tensor/index.js";
import { InputError } from "../util/errors.js";
import type { SafetensorsDtype, SafetensorsHeader, TensorEntry } from "./safetensors-header.js";
import { parseHeader, parseHeaderLength } from "./safetensors-header.js";

/** safetensors dtypes that map onto a Tensor dtype as they are. */
const TENSOR_DTYPE: Partial<Record<SafetensorsDtype, DType>> = { F32: "f32", F64: "f64", BF16: "bf16", F16: "f16", I32: "i32" };
const FLOAT_DTYPES: ReadonlySet<DType> = new Set(["f32", "f64", "bf16", "f16"]);

/** Elements converted per chunk: bounds the scratch memory of a converting read. */
const CHUNK_ELEMENTS = 1 << 20;
/** readSync takes at most 2 GiB per call. */
const MAX_READ = 1 << 30;

/**
 * One safetensors file, open for positioned reads. The header is read and validated on open; each tensor is then
 * read on its own (never the whole file at once), straight into its typed array or converted chunk by chunk.
 */
export class SafetensorsReader {
  readonly file: string;
  readonly header: SafetensorsHeader;
  private readonly byName: Map<string, TensorEntry>;
  private fd: number | null;

  private constructor(file: string, fd: number, header: SafetensorsHeader) {
    this.file = file;
    this.fd = fd;
    this.header = header;
    this.byName = new Map(header.entries.map((e) => [e.name, e]));
  }

  static open(file: string): SafetensorsReader {
    let fd: number;
    try {
      fd = fs.openSync(file, "r");
    } catch (err) {
      throw new InputError(`cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
    }
    try {
      const size = fs.fstatSync(fd).size;
      const prefix = readExactly(fd, new Uint8Array(Math.min(8, size)), 0, file);
      const n = parseHeaderLength(prefix, size, file);
      const json = readExactly(fd, new Uint8Array(n), 8, file);
      return new SafetensorsReader(file, fd, parseHeader(json, size, file));
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  /** Tensor names in file order. */
  names(): string[] {
    return this.header.entries.map((e) => e.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): TensorEntry {
    const e = this.byName.get(name);
    if (!e) throw new InputError(`no tensor named ${JSON.stringify(name)}`, { file: this.file });
    return e;
  }

  /**
   * A tensor, in its stored dtype (F32, F64, BF16, F16, I32) or converted to the float dtype asked for. Other
   * stored dtypes (I64, U8, ...) are refused here; readBytes gives their raw bytes.
   */
  read(name: string, as?: DType): Tensor {
    const e = this.entry(name);
    const stored = TENSOR_DTYPE[e.dtype];
    if (!stored) {
      throw new InputError(`tensor ${JSON.stringify(name)} is ${e.dtype}, which loraforge does not read as numbers`, { file: this.file });
    }
    const target = as ?? stored;
    if (target !== stored && !(FLOAT_DTYPES.has(stored) && FLOAT_DTYPES.has(target))) {
      throw new InputError(`tensor ${JSON.stringify(name)} is ${e.dtype} and cannot be converted to ${target}`, { file: this.file });
    }
    const out = Tensor.zeros(e.shape, target);
    const start = this.dataStart + e.begin;
    if (target === stored) {
      readExactly(this.openFd(), new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength), start, this.file);
      return out;
    }
    const source = Tensor.zeros([Math.min(CHUNK_ELEMENTS, out.numel)], stored);
    const bytesPer = source.data.BYTES_PER_ELEMENT;
    for (let i = 0; i < out.numel; i += CHUNK_ELEMENTS) {
      const count = Math.min(CHUNK_ELEMENTS, out.numel - i);
      readExactly(this.openFd(), new Uint8Array(source.data.buffer, 0, count * bytesPer), start + i * bytesPer, this.file);
      convert(source.data, stored, out.data, target, i, count);
    }
    return out;
  }

  /** The raw little-endian bytes of a tensor, whatever its dtype. */
  readBytes(name: string): Uint8Array {
    const e = this.entry(name);
    return readExactly(this.openFd(), new Uint8Array(e.end - e.begin), this.dataStart + e.begin, this.file);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private get dataStart(): number {
    return 8 + this.header.headerLength;
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`SafetensorsReader: ${this.file} is closed`);
    return this.fd;
  }
}

/** Opens a file, runs `fn`, and closes the file whatever happens. */
export function withSafetensors<T>(file: string, fn: (reader: SafetensorsReader) => T): T {
  const reader = SafetensorsReader.open(file);
  try {
    return fn(reader);
  } finally {
    reader.close();
  }
}

function readExactly(fd: number, into: Uint8Array, position: number, file: string): Uint8Array {
  let done = 0;
  while (done < into.length) {
    const n = fs.readSync(fd, into, done, Math.min(MAX_READ, into.length - done), position + done);
    // The header was checked against the file size, so a short read means the file shrank under us.
    if (n === 0) throw new InputError(`unexpected end of file at byte ${position + done}: the file is truncated`, { file });
    done += n;
  }
  return into;
}

/** Float conversion of `count` elements from src[0..] into dst[at..]. */
function convert(src: Tensor["data"], from: DType, dst: Tensor["data"], to: DType, at: number, count: number): void {
  const decode = from === "bf16" ? bf16ToF32 : from === "f16" ? f16ToF32 : (v: number) => v;
  const encode = to === "bf16" ? f32ToBf16 : to === "f16" ? f32ToF16 : (v: number) => v;
  if (from === "bf16" && to === "f32") {
    // bf16 is the high half of an f32: a shift, no rounding.
    const bits = new Uint32Array(dst.buffer, dst.byteOffset + at * 4, count);
    for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
    return;
  }
  for (let i = 0; i < count; i++) dst[at + i] = encode(decode(src[i]));
}
