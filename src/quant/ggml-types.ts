/**
 * ggml tensor types that a GGUF file names by id (docs/formats/gguf.md, "ggml types"): block size in elements
 * and bytes per block. Types loraforge can decode are listed with their name; any other id is refused by name.
 */
export type GgmlTypeName = "F32" | "F16" | "BF16" | "Q4_0" | "Q4_1" | "Q5_0" | "Q5_1" | "Q8_0" | "Q2_K" | "Q3_K" | "Q4_K" | "Q5_K" | "Q6_K";

export interface GgmlTypeInfo {
  id: number;
  name: GgmlTypeName;
  /** Elements per block (1 for plain float types). */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
}

const TYPES: GgmlTypeInfo[] = [
  { id: 0, name: "F32", blockSize: 1, typeSize: 4 },
  { id: 1, name: "F16", blockSize: 1, typeSize: 2 },
  { id: 2, name: "Q4_0", blockSize: 32, typeSize: 18 },
  { id: 3, name: "Q4_1", blockSize: 32, typeSize: 20 },
  { id: 6, name: "Q5_0", blockSize: 32, typeSize: 22 },
  { id: 7, name: "Q5_1", blockSize: 32, typeSize: 24 },
  { id: 8, name: "Q8_0", blockSize: 32, typeSize: 34 },
  { id: 10, name: "Q2_K", blockSize: 256, typeSize: 84 },
  { id: 11, name: "Q3_K", blockSize: 256, typeSize: 110 },
  { id: 12, name: "Q4_K", blockSize: 256, typeSize: 144 },
  { id: 13, name: "Q5_K", blockSize: 256, typeSize: 176 },
  { id: 14, name: "Q6_K", blockSize: 256, typeSize: 210 },
  { id: 30, name: "BF16", blockSize: 1, typeSize: 2 },
];

/** Names of ggml type ids that exist but that loraforge does not read, for a clear refusal. */
const UNSUPPORTED_NAMES: Record<number, string> = {
  9: "Q8_1", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
  23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
  40: "NVFP4", 41: "Q1_0",
};

const BY_ID = new Map(TYPES.map((t) => [t.id, t]));
const BY_NAME = new Map(TYPES.map((t) => [t.name, t]));

/** The decodable ggml types, in id order. */
export const GGML_TYPES: readonly GgmlTypeInfo[] = TYPES;

export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return BY_ID.get(id);
}

export function ggmlTypeByName(name: GgmlTypeName): GgmlTypeInfo {
  return BY_NAME.get(name)!;
}

/** "IQ2_XXS (id 16)" for a known but unsupported id, "id 99" otherwise. */
export function describeGgmlTypeId(id: number): string {
  const known = BY_ID.get(id)?.name ?? UNSUPPORTED_NAMES[id];
  return known ? `${known} (id ${id})` : `id ${id}`;
}

/** Bytes that `count` elements take in `type` (count must be a whole number of blocks). */
export function ggmlByteSize(type: GgmlTypeInfo, count: number): number {
  return (count / type.blockSize) * type.typeSize;
}
