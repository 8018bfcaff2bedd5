// Fuzzing the safetensors reader: header length, JSON header, dtypes, shapes and data offsets (harness.ts).
import fs from "node:fs";
import path from "node:path";
import { it } from "node:test";
import fc from "fast-check";
import { SAFETENSORS_DTYPE_BITS, tensorSources, withSafetensors, writeSafetensors } from "../../src/formats/index.js";
import { Tensor } from "../../src/tensor/index.js";
import { fuzz, mutated, ownErrorOnly, scratchDir } from "./harness.js";

const dir = scratchDir("safetensors");

/** Opens the file and reads every tensor, as numbers where the dtype allows, else as bytes. */
function readAll(file: string): void {
  withSafetensors(file, (reader) => {
    for (const name of reader.names()) {
      const e = reader.entry(name);
      if (["F32", "F64", "BF16", "F16", "I32"].includes(e.dtype)) reader.read(name, e.dtype === "I32" ? undefined : "f32");
      else reader.readBytes(name);
    }
  });
}

function sampleFile(): Uint8Array {
  const file = path.join(dir, "sample.safetensors");
  const t = (shape: number[], dtype: "f32" | "bf16" | "f16") => Tensor.fromNumbers(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i / 7), dtype);
  writeSafetensors(file, tensorSources([["a", t([2, 3], "f32")], ["b.weight", t([4], "bf16")], ["c", t([1, 2], "f16")]]), { format: "pt" });
  return fs.readFileSync(file);
}

/** A header whose entries are random but plausible (known dtypes, small shapes, offsets near the data size). */
const structured = fc
  .tuple(
    fc.array(
      fc.record({
        name: fc.oneof(fc.string({ maxLength: 6 }), fc.constant("__metadata__")),
        dtype: fc.oneof(fc.constantFrom(...Object.keys(SAFETENSORS_DTYPE_BITS)), fc.string({ maxLength: 4 })),
        shape: fc.oneof(fc.array(fc.nat(6), { maxLength: 3 }), fc.anything()),
        offsets: fc.oneof(fc.tuple(fc.nat(64), fc.nat(64)), fc.anything()),
      }),
      { maxLength: 4 },
    ),
    fc.nat(96),
    fc.integer({ min: -4, max: 4 }),
  )
  .map(([entries, dataLength, lengthSkew]) => {
    const header: Record<string, unknown> = {};
    for (const e of entries) header[e.name] = e.name === "__metadata__" ? e.shape : { dtype: e.dtype, shape: e.shape, data_offsets: e.offsets };
    const json = Buffer.from(JSON.stringify(header));
    const out = Buffer.alloc(8 + json.length + dataLength);
    out.writeBigInt64LE(BigInt(json.length + lengthSkew), 0);
    json.copy(out, 8);
    return new Uint8Array(out);
  });

it("safetensors: mutated files and random headers parse or raise an InputError naming the file", { timeout: 300_000 }, async (t) => {
  const file = path.join(dir, "fuzzed.safetensors");
  await fuzz(t, "safetensors (header, offsets, data)", fc.oneof(mutated(sampleFile()), structured), async (bytes) => {
    fs.writeFileSync(file, bytes);
    await ownErrorOnly(() => readAll(file), file);
  });
});
