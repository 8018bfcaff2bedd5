// A test-side GGUF byte builder, written from the container spec (docs/formats/gguf.md) independently of
// src/gguf's writer, so reader tests do not check the reader against its own twin.
export type Meta = [key: string, type: "u32" | "i32" | "f32" | "bool" | "string" | "u64" | "string[]" | "i32[]" | "f32[]" | "bool[]", value: unknown];
export interface RawTensor {
  name: string;
  ne: number[];
  type: number;
  data: Uint8Array;
  /** Override the offset written into the tensor info (a lie, for bad-input tests). */
  offset?: number;
}

const TYPE_ID = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, u64: 10 } as const;

class Bytes {
  parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.push(b);
  }
  scalar(type: keyof typeof TYPE_ID, v: unknown): void {
    if (type === "string") return this.str(v as string);
    const b = Buffer.alloc(type === "u64" ? 8 : type === "bool" ? 1 : 4);
    if (type === "u32") b.writeUInt32LE(v as number);
    else if (type === "i32") b.writeInt32LE(v as number);
    else if (type === "f32") b.writeFloatLE(v as number);
    else if (type === "bool") b.writeUInt8(v ? 1 : 0);
    else if (type === "u64") b.writeBigUInt64LE(BigInt(v as number));
    this.push(b);
  }
}

export function ggufBytes(meta: Meta[], tensors: RawTensor[] = [], alignment = 32): Buffer {
  const out = new Bytes();
  out.push(Buffer.from("GGUF", "latin1"));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(meta.length);
  for (const [key, type, value] of meta) {
    out.str(key);
    if (type.endsWith("[]")) {
      const elem = type.slice(0, -2) as keyof typeof TYPE_ID;
      out.u32(9);
      out.u32(TYPE_ID[elem]);
      const list = value as unknown[];
      out.u64(list.length);
      for (const v of list) out.scalar(elem, v);
    } else {
      out.u32(TYPE_ID[type as keyof typeof TYPE_ID]);
      out.scalar(type as keyof typeof TYPE_ID, value);
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    out.str(t.name);
    out.u32(t.ne.length);
    for (const d of t.ne) out.u64(d);
    out.u32(t.type);
    offsets.push(offset);
    out.u64(t.offset ?? offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  out.push(Buffer.alloc((alignment - (out.length % alignment)) % alignment));
  for (const t of tensors) {
    out.push(Buffer.from(t.data));
    out.push(Buffer.alloc((alignment - (t.data.length % alignment)) % alignment));
  }
  return Buffer.concat(out.parts);
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/**
 * The metadata a one-layer `llama` GGUF with a small byte-level BPE vocabulary needs: hyper-parameters and
 * tokenizer keys. Tokens after the first three normal ones are control tokens; `bos`/`eos` are the last two.
 */
export function tinyLlamaMeta(o: { hidden: number; ffn: number; heads: number; kvHeads: number; pre: string; tokens: string[]; merges: string[] }): Meta[] {
  const n = o.tokens.length;
  return [
    ["general.architecture", "string", "llama"],
    ["llama.embedding_length", "u32", o.hidden],
    ["llama.feed_forward_length", "u32", o.ffn],
    ["llama.block_count", "u32", 1],
    ["llama.attention.head_count", "u32", o.heads],
    ["llama.attention.head_count_kv", "u32", o.kvHeads],
    ["llama.attention.layer_norm_rms_epsilon", "f32", 1e-5],
    ["llama.context_length", "u32", 64],
    ["tokenizer.ggml.model", "string", "gpt2"],
    ["tokenizer.ggml.pre", "string", o.pre],
    ["tokenizer.ggml.tokens", "string[]", o.tokens],
    ["tokenizer.ggml.token_type", "i32[]", o.tokens.map((_, i) => (i < 3 ? 1 : 3))],
    ["tokenizer.ggml.merges", "string[]", o.merges],
    ["tokenizer.ggml.bos_token_id", "u32", n - 2],
    ["tokenizer.ggml.eos_token_id", "u32", n - 1],
  ];
}
