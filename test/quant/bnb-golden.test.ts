import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Tensor } from "../../src/tensor/index.js";
import { dynamicMap8, quantizeTensor, quantScheme } from "../../src/quant/index.js";

// Outputs of bitsandbytes' own quantize_4bit (CPU) on tensors with awkward shapes, written by
// interop/steps/60_bnb_golden.py. Our quantizer must reproduce codes and scales bit for bit.
interface Case {
  name: string;
  dtype: string;
  shape: number[];
  input: string;
  quant_type: "nf4" | "fp4";
  double_quant: boolean;
  packed: string;
  absmax?: string;
  absmax_codes?: string;
  nested_absmax?: string;
  offset?: number;
  dequantized?: string;
}
const golden = JSON.parse(readFileSync(new URL("./golden/bnb_4bit.json", import.meta.url), "utf8")) as {
  dynamic_map: string;
  inputs: Record<string, string>;
  cases: Case[];
};

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
const f32 = (hex: string) => {
  const b = bytes(hex);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

describe("bitsandbytes golden quantizations", () => {
  it("the dynamic 8-bit map matches create_dynamic_map(signed=True) bit for bit", () => {
    assert.deepEqual(Array.from(dynamicMap8()), Array.from(f32(golden.dynamic_map)));
  });

  for (const c of golden.cases) {
    it(`${c.name}: ${c.dtype} [${c.shape.join(", ")}] ${c.quant_type}${c.double_quant ? " + double quant" : ""}`, () => {
      const input = new Tensor("f32", c.shape, f32(golden.inputs[c.input]).slice());
      const t = c.dtype === "bfloat16" ? input.to("bf16") : input;
      const name = c.quant_type + (c.double_quant ? "" : "-no-double-quant");
      const q = quantizeTensor(t, quantScheme(name));
      assert.equal(Buffer.from(q.packed).toString("hex"), c.packed, "packed codes");
      if (c.double_quant) {
        const n = q.scales.nested!;
        assert.equal(Buffer.from(n.codes).toString("hex"), c.absmax_codes, "absmax codes");
        assert.deepEqual(Array.from(n.absmax), Array.from(f32(c.nested_absmax!)), "nested absmax");
        assert.equal(n.offset, Math.fround(c.offset!), "offset");
      } else {
        assert.deepEqual(Array.from(q.scales.absmax!), Array.from(f32(c.absmax!)), "absmax");
      }
      if (c.dequantized) assert.deepEqual(Array.from(q.dequantize().data), Array.from(f32(c.dequantized)), "dequantized");
    });
  }
});
