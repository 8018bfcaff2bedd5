import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GGML_TYPES, dequantizeGgml, ggmlByteSize, ggmlTypeByName } from "../../src/quant/index.js";
import type { GgmlTypeInfo } from "../../src/quant/index.js";
import { ShapeError } from "../../src/util/errors.js";
import { withNative } from "../helpers/native-paths.js";
import { randomBlocks, referenceDecode } from "./ggml-reference.js";

function throwsShape(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ShapeError && message.test(e.message));
}


/** Asserts native == float32(reference) for every element, ±0 included; NaN must meet NaN. */
function assertMatchesReference(type: GgmlTypeInfo, bytes: Uint8Array, count: number, got: Float32Array): void {
  const want = referenceDecode(type.name, bytes, count);
  assert.equal(got.length, count);
  for (let e = 0; e < count; e++) {
    const w = Math.fround(want[e]);
    if (Number.isNaN(w) ? !Number.isNaN(got[e]) : !Object.is(got[e], w)) {
      assert.fail(`${type.name} element ${e} (block ${Math.floor(e / type.blockSize)}): got ${got[e]}, reference ${w}`);
    }
  }
}

describe("dequantizeGgml equals the float64 restatement of every block layout", () => {
  for (const type of GGML_TYPES) {
    it(`${type.name}: 1 block, 3 blocks, and more blocks than one task takes, on 1 and 2 threads`, () => {
      // 16384 elements per task natively: 1500 blocks of 32 / 70 of 256 / 20000 floats straddle task edges.
      const many = type.blockSize === 1 ? 20001 : type.blockSize === 32 ? 1500 : 70;
      for (const blocks of [1, 3, many]) {
        const bytes = randomBlocks(type, blocks, 1000 + type.id * 7 + blocks);
        const count = blocks * type.blockSize;
        const one = withNative({ isa: "portable", threads: 1 }, () => dequantizeGgml(type, bytes, count));
        const two = withNative({ isa: "portable", threads: 2 }, () => dequantizeGgml(type, bytes, count));
        assertMatchesReference(type, bytes, count, one);
        assert.deepEqual(new Uint32Array(two.buffer), new Uint32Array(one.buffer), "thread count changed the result");
      }
    });
  }

  it("F16 and BF16 cover zeros, subnormals, infinities and NaN", () => {
    const patterns = [0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x3c00, 0xbc00, 0x3555];
    const bytes = new Uint8Array(new Uint16Array(patterns).buffer);
    for (const name of ["F16", "BF16"] as const) {
      const type = ggmlTypeByName(name);
      assertMatchesReference(type, bytes, patterns.length, dequantizeGgml(type, bytes, patterns.length));
    }
  });

  it("reads data at any byte offset (a Buffer slice of a file), as from an aligned copy", () => {
    for (const name of ["F32", "F16", "Q8_0", "Q5_1", "Q6_K"] as const) {
      const type = ggmlTypeByName(name);
      const blocks = randomBlocks(type, type.blockSize === 1 ? 64 : 5, 9);
      const file = Buffer.alloc(blocks.length + 3);
      file.set(blocks, 3);
      const count = (blocks.length / type.typeSize) * type.blockSize;
      assert.deepEqual(dequantizeGgml(type, file.subarray(3), count), dequantizeGgml(type, blocks, count), name);
    }
  });

  it("an empty tensor decodes to an empty array", () => {
    assert.equal(dequantizeGgml(ggmlTypeByName("Q4_K"), new Uint8Array(0), 0).length, 0);
  });

  it("refuses counts that are not whole blocks and data of the wrong length, naming both", () => {
    const q4k = ggmlTypeByName("Q4_K");
    throwsShape(() => dequantizeGgml(q4k, new Uint8Array(144), 255), /255 elements are not a whole number of Q4_K blocks of 256/);
    throwsShape(() => dequantizeGgml(q4k, new Uint8Array(143), 256), /take 144 bytes, the data has 143/);
    throwsShape(() => dequantizeGgml(q4k, new Uint8Array(0), -256), /not a non-negative integer/);
    const q8 = ggmlTypeByName("Q8_0");
    throwsShape(() => dequantizeGgml(q8, new Uint8Array(ggmlByteSize(q8, 64) + 1), 64), /take 68 bytes, the data has 69/);
    throwsShape(() => dequantizeGgml({ id: 99, name: "Q8_0", blockSize: 32, typeSize: 34 }, new Uint8Array(34), 32), /not a ggml type/);
  });
});
