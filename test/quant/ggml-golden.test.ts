import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { GGML_TYPES, dequantizeGgml, ggmlTypeByName, quantizeGgml } from "../../src/quant/index.js";
import type { GgmlTypeName } from "../../src/quant/index.js";

// Goldens from the PyPI `gguf` package's numpy codecs (interop/steps/40_ggml_quants.py writes them).
interface Golden {
  source: string;
  decode: Record<string, { count: number; bytes: string; values: string }>;
  encode: { inputs: string; types: Record<string, { rowLength: number; bytes: string }> };
}
const golden = JSON.parse(readFileSync(new URL("../golden/ggml_quants.json", import.meta.url), "utf8")) as Golden;
const bytesOf = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));
const floatsOf = (b64: string) => {
  const b = bytesOf(b64);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

describe(`ggml codecs equal ${golden.source}`, () => {
  it("the golden file covers every type loraforge decodes and every type gguf-py encodes", () => {
    assert.deepEqual(Object.keys(golden.decode).sort(), GGML_TYPES.map((t) => t.name).sort());
    assert.deepEqual(Object.keys(golden.encode.types).sort(), ["BF16", "F16", "F32", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"]);
  });

  for (const [name, entry] of Object.entries(golden.decode)) {
    it(`${name}: dequantize equals gguf.quants.dequantize bit for bit`, () => {
      const want = floatsOf(entry.values);
      const got = dequantizeGgml(ggmlTypeByName(name as GgmlTypeName), bytesOf(entry.bytes), entry.count);
      const wantBits = new Uint32Array(want.buffer.slice(want.byteOffset, want.byteOffset + want.byteLength));
      const gotBits = new Uint32Array(got.buffer);
      for (let i = 0; i < entry.count; i++) {
        const bothNaN = Number.isNaN(got[i]) && Number.isNaN(want[i]);
        if (!bothNaN && gotBits[i] !== wantBits[i]) assert.fail(`${name} element ${i}: got ${got[i]}, gguf-py ${want[i]}`);
      }
    });
  }

  for (const [name, entry] of Object.entries(golden.encode.types)) {
    it(`${name}: quantize equals gguf.quants.quantize byte for byte (but for the min of ±0 blocks, see below)`, () => {
      const type = ggmlTypeByName(name as GgmlTypeName);
      const inputs = floatsOf(golden.encode.inputs);
      const got = quantizeGgml(type, inputs, entry.rowLength);
      const want = bytesOf(entry.bytes);
      assert.equal(got.length, want.length);
      for (let b = 0; b < got.length / type.typeSize; b++) {
        const ours = Buffer.from(got.subarray(b * type.typeSize, (b + 1) * type.typeSize));
        const theirs = Buffer.from(want.subarray(b * type.typeSize, (b + 1) * type.typeSize));
        const block = inputs.subarray(b * 32, b * 32 + 32);
        if ((name === "Q4_1" || name === "Q5_1") && block.every((v) => v === 0) && block.some((v) => Object.is(v, -0))) {
          // llama.cpp keeps the first-seen minimum (+0 here, so m = 0x0000); numpy's min returns −0 (m = 0x8000).
          // We follow llama.cpp (test/quant/ggml-quantize-legacy.test.ts); both decode to the same values.
          assert.equal(ours.readUInt16LE(2), 0x0000);
          assert.equal(theirs.readUInt16LE(2), 0x8000);
          theirs.writeUInt16LE(0x0000, 2);
        }
        assert.equal(ours.toString("hex"), theirs.toString("hex"), `${name} block ${b}`);
      }
    });
  }
});
