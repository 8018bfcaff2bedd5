import fs from "node:fs";
import type { GgmlTypeInfo } from "../quant/index.js";
import { describeGgmlTypeId, ggmlByteSize, ggmlTypeById } from "../quant/index.js";
import { InputError } from "../util/errors.js";
import { ByteCursor } from "./byte-cursor.js";
import type { GgufValue } from "./metadata.js";
import { GgufMetadata } from "./metadata.js";

/** The container layout is in docs/formats/gguf.md ("Container"). */
export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;

enum ValueType {
  U8 = 0, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64,
}

export interface GgufTensorInfo {
  name: string;
  /** ggml order: ne[0] is the fastest-varying dimension (the row length); the PyTorch shape is ne reversed. */
  ne: number[];
  type: GgmlTypeInfo;
  /** Absolute byte offset of the tensor's data in the file. */
  offset: number;
  byteSize: number;
}

/** A GGUF file's header, metadata and tensor directory; tensor bytes are read on demand. */
export class GgufFile {
  readonly file: string;
  readonly version: number;
  readonly metadata: GgufMetadata;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  readonly alignment: number;
  private fd: number | null;

  private constructor(file: string, fd: number, version: number, metadata: GgufMetadata, tensors: Map<string, GgufTensorInfo>, alignment: number) {
    this.file = file;
    this.fd = fd;
    this.version = version;
    this.metadata = metadata;
    this.tensors = tensors;
    this.alignment = alignment;
  }

  /** Parses the header; every inconsistency is an InputError naming the file and the field. */
  static open(file: string): GgufFile {
    let fd: number;
    try {
      fd = fs.openSync(file, "r");
    } catch (err) {
      throw new InputError(`cannot open: ${(err as Error).message}`, { file });
    }
    try {
      return GgufFile.parse(file, fd);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  private static parse(file: string, fd: number): GgufFile {
    const fileSize = fs.fstatSync(fd).size;
    const cur = new ByteCursor(fd, fileSize, file);
    const magic = cur.u32("magic");
    if (magic !== GGUF_MAGIC) throw new InputError(`not a GGUF file (magic 0x${magic.toString(16).padStart(8, "0")}, expected "GGUF")`, { file });
    const version = cur.u32("version");
    if (version !== 2 && version !== 3) {
      throw new InputError(`GGUF version ${version} is not supported (2 and 3 are)`, { file, field: "version" });
    }
    const tensorCount = cur.count("tensor_count", 24);
    const kvCount = cur.count("metadata_kv_count", 13);
    const entries = new Map<string, GgufValue>();
    for (let i = 0; i < kvCount; i++) {
      const key = cur.string(`metadata key #${i}`);
      if (entries.has(key)) throw new InputError(`duplicate metadata key`, { file, field: key });
      const type = cur.u32(key);
      entries.set(key, readValue(cur, type, key, 0));
    }
    const metadata = new GgufMetadata(file, entries);
    const alignment = metadata.has("general.alignment") ? metadata.u32("general.alignment") : DEFAULT_ALIGNMENT;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
      throw new InputError(`${alignment} is not a power of two`, { file, field: "general.alignment" });
    }
    const infos: Array<Omit<GgufTensorInfo, "offset" | "byteSize"> & { relOffset: number }> = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = cur.string(`tensor #${i} name`);
      const nDims = cur.u32(`${name}: n_dims`);
      if (nDims < 1 || nDims > MAX_DIMS) throw new InputError(`tensor ${name} has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`, { file });
      const ne: number[] = [];
      for (let d = 0; d < nDims; d++) ne.push(cur.count(`${name}: ne[${d}]`, 0));
      const typeId = cur.u32(`${name}: type`);
      const type = ggmlTypeById(typeId);
      if (!type) {
        throw new InputError(`tensor ${name} has ggml type ${describeGgmlTypeId(typeId)}, which loraforge cannot read`, { file }, {
          hint: "supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K; re-quantize the model to one of these with llama-quantize",
        });
      }
      if (ne[0] % type.blockSize !== 0) {
        throw new InputError(`tensor ${name}: row length ${ne[0]} is not a multiple of ${type.name}'s block size ${type.blockSize}`, { file });
      }
      infos.push({ name, ne, type, relOffset: cur.count(`${name}: offset`, 0) });
    }
    const dataStart = Math.ceil(cur.position / alignment) * alignment;
    const tensors = new Map<string, GgufTensorInfo>();
    for (const info of infos) {
      if (tensors.has(info.name)) throw new InputError(`duplicate tensor name ${info.name}`, { file });
      if (info.relOffset % alignment !== 0) {
        throw new InputError(`tensor ${info.name}: data offset ${info.relOffset} is not a multiple of the alignment ${alignment}`, { file });
      }
      const count = info.ne.reduce((a, b) => a * b, 1);
      const byteSize = ggmlByteSize(info.type, count);
      const offset = dataStart + info.relOffset;
      if (!Number.isSafeInteger(count) || offset + byteSize > fileSize) {
        throw new InputError(
          `tensor ${info.name} (${info.type.name}, ne [${info.ne.join(", ")}]) needs bytes ${offset}..${offset + byteSize}, but the file has ${fileSize}: truncated or a wrong offset`,
          { file },
        );
      }
      tensors.set(info.name, { name: info.name, ne: info.ne, type: info.type, offset, byteSize });
    }
    checkNoOverlap(file, [...tensors.values()]);
    return new GgufFile(file, fd, version, metadata, tensors, alignment);
  }

  tensor(name: string): GgufTensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new InputError(`no tensor named ${name}`, { file: this.file });
    return info;
  }

  /** The raw bytes of a tensor, as stored (quantized blocks or plain floats). */
  readBytes(info: GgufTensorInfo): Uint8Array {
    if (this.fd === null) throw new Error(`GgufFile ${this.file} is closed`);
    const out = new Uint8Array(info.byteSize);
    let done = 0;
    while (done < out.length) {
      const n = fs.readSync(this.fd, out, done, out.length - done, info.offset + done);
      if (n === 0) throw new InputError(`tensor ${info.name}: the file ended early`, { file: this.file });
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

function readValue(cur: ByteCursor, type: number, key: string, depth: number): GgufValue {
  switch (type) {
    case ValueType.U8: return cur.u8(key);
    case ValueType.I8: return cur.i8(key);
    case ValueType.U16: return cur.u16(key);
    case ValueType.I16: return cur.i16(key);
    case ValueType.U32: return cur.u32(key);
    case ValueType.I32: return cur.i32(key);
    case ValueType.F32: return cur.f32(key);
    case ValueType.F64: return cur.f64(key);
    case ValueType.U64: return cur.u64(key);
    case ValueType.I64: return cur.i64(key);
    case ValueType.BOOL: {
      const b = cur.u8(key);
      if (b > 1) throw new InputError(`bool value ${b} (must be 0 or 1)`, { file: cur.file, field: key });
      return b === 1;
    }
    case ValueType.STRING: return cur.string(key);
    case ValueType.ARRAY: {
      if (depth > 0) throw new InputError("nested arrays are not supported", { file: cur.file, field: key });
      const elemType = cur.u32(key);
      const count = cur.count(key, elemType === ValueType.STRING ? 8 : 1);
      const out: GgufValue[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = readValue(cur, elemType, key, depth + 1);
      return out as GgufValue;
    }
    default:
      throw new InputError(`unknown metadata value type ${type}`, { file: cur.file, field: key });
  }
}

function checkNoOverlap(file: string, tensors: GgufTensorInfo[]): void {
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.byteSize) {
      throw new InputError(`tensors ${prev.name} and ${sorted[i].name} overlap: a wrong data offset`, { file });
    }
  }
}
