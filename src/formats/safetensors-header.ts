import { InputError } from "../util/errors.js";

/**
 * The safetensors header (docs/formats/safetensors.md §1): parsing with every check the reference reader makes, and the layout
 * our writer uses. No file I/O here.
 */

/** dtype string → bits per element (docs/formats/safetensors.md §1.3). */
export const SAFETENSORS_DTYPE_BITS = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  C64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
} as const;
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BITS;

/** The reference reader refuses larger headers. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets into the data buffer (which starts at 8 + headerLength in the file). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** N: the JSON header's byte length. The data buffer starts at file offset 8 + N. */
  headerLength: number;
  /** In file order (by offset). */
  entries: TensorEntry[];
  metadata: Record<string, string>;
}

export function isSafetensorsDtype(s: unknown): s is SafetensorsDtype {
  return typeof s === "string" && Object.hasOwn(SAFETENSORS_DTYPE_BITS, s);
}

/** Byte size of a tensor; null when the bit count is not a whole number of bytes. */
export function tensorByteSize(dtype: SafetensorsDtype, shape: readonly number[]): number | null {
  const bits = shape.reduce((n, d) => n * d, 1) * SAFETENSORS_DTYPE_BITS[dtype];
  return bits % 8 === 0 ? bits / 8 : null;
}

/** Reads N from the first 8 bytes and checks it against the file size. */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw new InputError(`not a safetensors file: ${fileSize} bytes, shorter than the 8-byte header length`, { file });
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw new InputError(`header length ${n} runs past the end of the file (${fileSize} bytes): truncated or not safetensors`, { file });
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new InputError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`, { file });
  }
  if (n < 2n) throw new InputError(`header length ${n} is too small to hold a JSON object`, { file });
  return Number(n);
}

/** Parses and validates the JSON header (bytes 8..8+N) of a file of `fileSize` bytes. */
export function parseHeader(json: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const headerLength = json.length;
  if (json[0] !== 0x7b) throw new InputError("header does not start with '{': not a safetensors file", { file });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (err) {
    throw new InputError(`header is not valid UTF-8 JSON (${(err as Error).message})`, { file });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InputError("header is not a JSON object", { file });
  }
  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") metadata = parseMetadata(value, file);
    else entries.push(parseEntry(name, value, file));
  }
  checkTiling(entries, fileSize - 8 - headerLength, file);
  return { headerLength, entries, metadata };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new InputError("__metadata__ must be an object", { file });
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== "string") throw new InputError(`__metadata__.${k} must be a string, got ${JSON.stringify(v)}`, { file });
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, file: string): TensorEntry {
  const bad = (why: string): never => {
    throw new InputError(`tensor ${JSON.stringify(name)}: ${why}`, { file });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("header entry is not an object");
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    bad(`unknown dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(SAFETENSORS_DTYPE_BITS).join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    bad(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as number[];
  if (end < begin) bad(`data_offsets [${begin}, ${end}] end before they begin`);
  const size = tensorByteSize(dtype as SafetensorsDtype, shape as number[]);
  if (size === null) bad(`${dtype} [${(shape as number[]).join(", ")}] is not a whole number of bytes`);
  if (end - begin !== size) {
    bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} [${(shape as number[]).join(", ")}] needs ${size}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** Tensors sorted by offset must cover the data buffer exactly: no holes, no overlap, nothing past the end. */
function checkTiling(entries: TensorEntry[], bufferLength: number, file: string): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.end > bufferLength) {
      throw new InputError(
        `tensor ${JSON.stringify(e.name)}: data_offsets [${e.begin}, ${e.end}] run past the end of the data (${bufferLength} bytes): the file is truncated or the header is wrong`,
        { file },
      );
    }
    if (e.begin < expected) {
      throw new InputError(`tensor ${JSON.stringify(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (which ends at ${expected})`, { file });
    }
    if (e.begin > expected) {
      throw new InputError(`tensor ${JSON.stringify(e.name)}: data_offsets begin at ${e.begin}, leaving a hole after byte ${expected}`, { file });
    }
    expected = e.end;
  }
  if (expected !== bufferLength) {
    throw new InputError(`the tensors cover ${expected} bytes of data but the file holds ${bufferLength}: trailing bytes after the last tensor`, { file });
  }
}

/**
 * The layout our writer uses (the reference writer's): tensors ordered by descending element size, then name,
 * back to back; the header padded with spaces to a multiple of 8, so every tensor is aligned to its element size.
 */
export function planLayout(
  tensors: ReadonlyArray<{ name: string; dtype: SafetensorsDtype; shape: readonly number[] }>,
  metadata: Record<string, string>,
): { header: Uint8Array; entries: TensorEntry[] } {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === "__metadata__" || seen.has(t.name)) throw new Error(`safetensors: duplicate or reserved tensor name ${t.name}`);
    seen.add(t.name);
  }
  const ordered = [...tensors].sort(
    (a, b) => SAFETENSORS_DTYPE_BITS[b.dtype] - SAFETENSORS_DTYPE_BITS[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  // A null-prototype object, so a tensor named "__proto__" is an ordinary key.
  const json: Record<string, unknown> = Object.create(null);
  json.__metadata__ = metadata;
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const t of ordered) {
    const size = tensorByteSize(t.dtype, t.shape);
    if (size === null) throw new Error(`safetensors: ${t.name} is not a whole number of bytes`);
    entries.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], begin: offset, end: offset + size });
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const text = Buffer.from(JSON.stringify(json), "utf8");
  const padded = Buffer.alloc(Math.ceil(text.length / 8) * 8, 0x20);
  text.copy(padded);
  return { header: padded, entries };
}
