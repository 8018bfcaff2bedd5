import type { GgmlTypeInfo } from "../quant/index.js";
import { ggmlByteSize } from "../quant/index.js";
import { writeAll, writeFileAtomicWith } from "../util/atomic-write.js";
import { GGUF_MAGIC } from "./gguf-read.js";

/**
 * GGUF v3 writer (docs/formats/gguf.md, "Container"): header, typed metadata, tensor infos, then each tensor's
 * bytes padded to the alignment. Tensors are produced one at a time, in order, and written straight to a
 * temporary file that is renamed over the target at the end: a model is never whole in memory, and an interrupted
 * export leaves no file under the final name.
 */

const VALUE_TYPE = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;
export type GgufScalarType = Exclude<keyof typeof VALUE_TYPE, "array">;

/** One metadata entry: a scalar of a stated type, or a flat array of one scalar type. */
export type GgufKv =
  | { key: string; type: GgufScalarType; value: number | boolean | string }
  | { key: string; type: "array"; elementType: GgufScalarType; values: ReadonlyArray<number | boolean | string> };

/** A tensor to write: ggml dims (ne[0] = row length) and its encoded bytes, produced when its turn comes. */
export interface GgufTensorOut {
  name: string;
  ne: readonly number[];
  type: GgmlTypeInfo;
  bytes(): Uint8Array;
}

export const GGUF_DEFAULT_ALIGNMENT = 32;
const MAX_NAME_BYTES = 63;

/** Shorthands for metadata entries. */
export const kv = {
  u32: (key: string, value: number): GgufKv => ({ key, type: "u32", value }),
  i32: (key: string, value: number): GgufKv => ({ key, type: "i32", value }),
  f32: (key: string, value: number): GgufKv => ({ key, type: "f32", value }),
  bool: (key: string, value: boolean): GgufKv => ({ key, type: "bool", value }),
  string: (key: string, value: string): GgufKv => ({ key, type: "string", value }),
  array: (key: string, elementType: GgufScalarType, values: ReadonlyArray<number | boolean | string>): GgufKv => ({ key, type: "array", elementType, values }),
};

/** Little-endian bytes appended into chunks; the header of a large vocabulary is a few megabytes. */
class ByteSink {
  private chunks: Buffer[] = [];
  private current = Buffer.alloc(1 << 16);
  private used = 0;
  length = 0;

  private room(n: number): Buffer {
    if (this.used + n > this.current.length) {
      this.chunks.push(this.current.subarray(0, this.used));
      this.current = Buffer.alloc(Math.max(1 << 16, n));
      this.used = 0;
    }
    this.length += n;
    const at = this.used;
    this.used += n;
    return this.current.subarray(at, at + n);
  }

  u32(v: number): void {
    this.room(4).writeUInt32LE(v);
  }

  u64(v: number): void {
    this.room(8).writeBigUInt64LE(BigInt(v));
  }

  string(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    bytes.copy(this.room(bytes.length));
  }

  scalar(type: GgufScalarType, v: number | boolean | string, key: string): void {
    const bad = (what: string): never => {
      throw new Error(`GGUF metadata ${key}: ${JSON.stringify(v)} is not ${what}`);
    };
    if (type === "string") return typeof v === "string" ? this.string(v) : bad("a string");
    if (type === "bool") return typeof v === "boolean" ? void (this.room(1)[0] = v ? 1 : 0) : bad("a boolean");
    if (typeof v !== "number" || Number.isNaN(v)) return bad("a number");
    const isInt = type !== "f32" && type !== "f64";
    if (isInt && !Number.isSafeInteger(v)) bad("an integer");
    const b = (n: number) => this.room(n);
    switch (type) {
      case "u8": return void b(1).writeUInt8(v);
      case "i8": return void b(1).writeInt8(v);
      case "u16": return void b(2).writeUInt16LE(v);
      case "i16": return void b(2).writeInt16LE(v);
      case "u32": return void b(4).writeUInt32LE(v);
      case "i32": return void b(4).writeInt32LE(v);
      case "f32": return void b(4).writeFloatLE(v);
      case "f64": return void b(8).writeDoubleLE(v);
      case "u64": return void b(8).writeBigUInt64LE(BigInt(v));
      case "i64": return void b(8).writeBigInt64LE(BigInt(v));
    }
  }

  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    if (n > 0) this.room(n).fill(0);
  }

  bytes(): Buffer {
    return Buffer.concat([...this.chunks, this.current.subarray(0, this.used)]);
  }
}

/**
 * Writes `file` atomically. Like gguf-py, empty arrays are left out. Duplicate keys or tensor names, a name over
 * 63 bytes, more than 4 dims, a row that is not whole blocks, or bytes of the wrong length are errors (bugs of the
 * caller: every user-facing check happens before).
 */
export function writeGguf(file: string, metadata: readonly GgufKv[], tensors: readonly GgufTensorOut[], options: { alignment?: number } = {}): void {
  const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const entries = metadata.filter((e) => e.type !== "array" || e.values.length > 0);
  if (alignment !== GGUF_DEFAULT_ALIGNMENT && !entries.some((e) => e.key === "general.alignment")) {
    entries.push(kv.u32("general.alignment", alignment));
  }
  const keys = new Set<string>();
  for (const e of entries) {
    if (keys.has(e.key)) throw new Error(`GGUF metadata: duplicate key ${e.key}`);
    keys.add(e.key);
  }
  const head = new ByteSink();
  head.u32(GGUF_MAGIC);
  head.u32(3);
  head.u64(tensors.length);
  head.u64(entries.length);
  for (const e of entries) {
    head.string(e.key);
    head.u32(VALUE_TYPE[e.type]);
    if (e.type === "array") {
      head.u32(VALUE_TYPE[e.elementType]);
      head.u64(e.values.length);
      for (const v of e.values) head.scalar(e.elementType, v, e.key);
    } else {
      head.scalar(e.type, e.value, e.key);
    }
  }
  const sizes = tensorInfos(head, tensors, alignment);
  head.pad(alignment);
  writeFileAtomicWith(file, (fd) => {
    writeAll(fd, head.bytes());
    const zeros = new Uint8Array(alignment);
    tensors.forEach((t, i) => {
      const bytes = t.bytes();
      if (bytes.length !== sizes[i]) throw new Error(`GGUF tensor ${t.name}: ${bytes.length} bytes produced, ${sizes[i]} announced`);
      writeAll(fd, bytes);
      const pad = (alignment - (bytes.length % alignment)) % alignment;
      if (pad > 0) writeAll(fd, zeros.subarray(0, pad));
    });
  });
}

/** Writes the tensor infos (offsets are the running sum of padded sizes); returns each tensor's byte size. */
function tensorInfos(head: ByteSink, tensors: readonly GgufTensorOut[], alignment: number): number[] {
  const names = new Set<string>();
  const sizes: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`GGUF: duplicate tensor name ${t.name}`);
    names.add(t.name);
    if (Buffer.byteLength(t.name, "utf8") > MAX_NAME_BYTES) throw new Error(`GGUF tensor name ${t.name} is longer than ${MAX_NAME_BYTES} bytes`);
    if (t.ne.length < 1 || t.ne.length > 4) throw new Error(`GGUF tensor ${t.name}: ${t.ne.length} dims (1 to 4 allowed)`);
    if (t.ne[0] % t.type.blockSize !== 0) throw new Error(`GGUF tensor ${t.name}: row of ${t.ne[0]} is not whole ${t.type.name} blocks`);
    head.string(t.name);
    head.u32(t.ne.length);
    for (const n of t.ne) head.u64(n);
    head.u32(t.type.id);
    head.u64(offset);
    const size = ggmlByteSize(t.type, t.ne.reduce((a, b) => a * b, 1));
    sizes.push(size);
    offset += Math.ceil(size / alignment) * alignment;
  }
  return sizes;
}
