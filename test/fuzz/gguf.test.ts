// Fuzzing the GGUF reader (src/gguf): the container, metadata values, tensor directory and offsets, the
// config and tokenizer rebuilt from the metadata, and dequantizing every tensor (harness.ts).
import fs from "node:fs";
import path from "node:path";
import { it } from "node:test";
import fc from "fast-check";
import { GgufModel } from "../../src/gguf/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import type { Meta, RawTensor } from "../support/gguf-bytes.js";
import { f32Bytes, ggufBytes, tinyLlamaMeta } from "../support/gguf-bytes.js";
import { fuzz, mutated, ownErrorOnly, scratchDir } from "./harness.js";

const dir = scratchDir("gguf");
let n = 0;

/** Opens the model, reads every tensor as f32, builds its tokenizer: all a `--model x.gguf` load does. */
function readAll(file: string): void {
  const model = GgufModel.open(file);
  try {
    for (const name of model.tensorNames()) model.readF32(name);
  } finally {
    model.close();
  }
  loadTokenizer(file).encode("Hello, world 123");
}

/** A valid one-layer llama with tensors of several ggml types (F32, F16, Q8_0, Q4_0) and a 5-token BPE vocabulary. */
function sample(): Uint8Array {
  const H = 32;
  const meta = tinyLlamaMeta({ hidden: H, ffn: 32, heads: 2, kvHeads: 2, pre: "smollm", tokens: ["H", "e", "He", "<s>", "</s>"], merges: ["H e"] });
  const f32 = (name: string, ne: number[]): RawTensor => ({ name, ne, type: 0, data: f32Bytes(Array.from({ length: ne.reduce((a, b) => a * b) }, (_, i) => (i % 5) / 4)) });
  const quant = (name: string, ne: number[], type: number, blockBytes: number): RawTensor => ({
    name, ne, type, data: Uint8Array.from({ length: (ne.reduce((a, b) => a * b) / 32) * blockBytes }, (_, i) => (i * 37) % 251),
  });
  const tensors = [
    quant("token_embd.weight", [H, 5], 8, 34),
    f32("output_norm.weight", [H]),
    f32("blk.0.attn_norm.weight", [H]),
    f32("blk.0.ffn_norm.weight", [H]),
    { name: "blk.0.attn_q.weight", ne: [H, H], type: 1, data: new Uint8Array(H * H * 2).fill(0x3c) },
    quant("blk.0.attn_k.weight", [H, H], 2, 18),
    quant("blk.0.attn_v.weight", [H, H], 2, 18),
    quant("blk.0.attn_output.weight", [H, H], 8, 34),
    quant("blk.0.ffn_gate.weight", [H, 32], 2, 18),
    quant("blk.0.ffn_up.weight", [H, 32], 2, 18),
    quant("blk.0.ffn_down.weight", [32, H], 2, 18),
  ];
  return ggufBytes(meta, tensors);
}

/** Plausible but random containers: random keys and value kinds, random tensor types, shapes and offsets. */
const structured = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom("general.architecture", "llama.embedding_length", "llama.block_count", "tokenizer.ggml.tokens", "general.alignment", "x.y"),
        fc.constantFrom<Meta[1]>("u32", "i32", "f32", "bool", "string", "u64", "string[]", "i32[]"),
        fc.oneof(fc.nat(70000), fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }), fc.array(fc.integer(), { maxLength: 4 })),
      ),
      { maxLength: 6 },
    ),
    fc.array(
      fc.record({ name: fc.string({ maxLength: 12 }), ne: fc.array(fc.nat(64), { minLength: 1, maxLength: 4 }), type: fc.nat(45), size: fc.nat(300), offset: fc.option(fc.nat(1 << 16)) }),
      { maxLength: 4 },
    ),
  )
  .map(([meta, tensors]) => {
    const kinds: Meta[] = meta.map(([key, type, value]) => {
      if (type.endsWith("[]")) return [key, type, Array.isArray(value) ? value.map((v) => (type === "string[]" ? String(v) : Number(v) | 0)) : []];
      if (type === "string") return [key, type, String(value)];
      if (type === "bool") return [key, type, Boolean(value)];
      return [key, type, typeof value === "number" ? value : 1];
    });
    return ggufBytes(kinds, tensors.map((t) => ({ name: t.name, ne: t.ne, type: t.type, data: new Uint8Array(t.size), offset: t.offset ?? undefined })));
  });

it("gguf: mutated files and random containers load or raise an InputError naming the file", { timeout: 300_000 }, async (t) => {
  await fuzz(t, "GGUF (container, metadata, tensors, tokenizer)", fc.oneof(mutated(sample()), structured), async (bytes) => {
    // A fresh name per input: loaded tokenizers are cached by path, size and mtime.
    const file = path.join(dir, `fuzzed-${n++}.gguf`);
    fs.writeFileSync(file, bytes);
    await ownErrorOnly(() => readAll(file), file);
    fs.rmSync(file);
  });
});
