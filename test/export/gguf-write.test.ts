import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { readGgufFileInfo } from "node-llama-cpp";
import { GgufFile, kv, writeGguf } from "../../src/gguf/index.js";
import type { GgufKv } from "../../src/gguf/index.js";
import { ggmlTypeByName } from "../../src/quant/index.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-gguf-write-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const METADATA: GgufKv[] = [
  kv.string("general.architecture", "llama"),
  kv.string("general.name", "naïve ✓ model"),
  { key: "test.u8", type: "u8", value: 255 },
  { key: "test.i8", type: "i8", value: -128 },
  { key: "test.u16", type: "u16", value: 65535 },
  { key: "test.i16", type: "i16", value: -32768 },
  kv.u32("test.u32", 4294967295),
  kv.i32("test.i32", -2147483648),
  kv.f32("test.f32", 1e-5),
  { key: "test.f64", type: "f64", value: Math.PI },
  { key: "test.u64", type: "u64", value: 2 ** 40 + 3 },
  { key: "test.i64", type: "i64", value: -(2 ** 40) },
  kv.bool("test.bool", true),
  kv.array("test.strings", "string", ["a", "", "Ġb c", "<|im_end|>"]),
  kv.array("test.i32s", "i32", [1, -2, 3]),
  kv.array("test.f32s", "f32", [0.5, -1.25]),
  kv.array("test.empty", "u32", []),
];

/** Raw bytes, 0..n-1 mod 251, so a misplaced byte shows. */
function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % 251);
}

const TENSORS = [
  { name: "a.weight", ne: [3], type: ggmlTypeByName("F32"), data: pattern(12, 1) },
  { name: "blk.0.attn_q.weight", ne: [64, 3], type: ggmlTypeByName("Q8_0"), data: pattern(2 * 34 * 3, 2) },
  { name: "c.weight", ne: [5, 2, 2], type: ggmlTypeByName("F16"), data: pattern(40, 3) },
];

describe("writeGguf", () => {
  const file = path.join(tmp, "all.gguf");
  writeGguf(file, METADATA, TENSORS.map((t) => ({ ...t, bytes: () => t.data })));

  it("is read back by node-llama-cpp's own GGUF parser: every value type, arrays, tensor infos", async () => {
    const info = await readGgufFileInfo(file, { logWarnings: false });
    assert.equal(info.version, 3);
    const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
    assert.equal(md.general.name, "naïve ✓ model");
    const t = md.test;
    assert.deepEqual([t.u8, t.i8, t.u16, t.i16, t.u32, t.i32], [255, -128, 65535, -32768, 4294967295, -2147483648]);
    assert.equal(t.f32, Math.fround(1e-5));
    assert.equal(t.f64, Math.PI);
    assert.equal(BigInt(t.u64 as number), BigInt(2 ** 40 + 3));
    assert.equal(BigInt(t.i64 as number), BigInt(-(2 ** 40)));
    assert.equal(t.bool, true);
    assert.deepEqual(t.strings, ["a", "", "Ġb c", "<|im_end|>"]);
    assert.deepEqual(t.i32s, [1, -2, 3]);
    assert.deepEqual(t.f32s, [0.5, -1.25]);
    assert.equal(t.empty, undefined, "empty arrays are left out, as gguf-py does");
    assert.deepEqual(
      info.tensorInfo!.map((x) => [x.name, x.dimensions.map(Number), x.ggmlType, Number(x.offset)]),
      [
        ["a.weight", [3], 0, 0],
        ["blk.0.attn_q.weight", [64, 3], 8, 32],
        ["c.weight", [5, 2, 2], 1, 32 + 224],
      ],
    );
  });

  it("puts the data section at a multiple of 32, each tensor's bytes at its offset, zero padding between", () => {
    const g = GgufFile.open(file);
    const bytes = fs.readFileSync(file);
    let end = 0;
    for (const t of TENSORS) {
      const info = g.tensor(t.name);
      assert.equal(info.offset % 32, 0);
      assert.deepEqual(g.readBytes(info), t.data);
      const padEnd = Math.ceil((info.offset + t.data.length) / 32) * 32;
      assert.ok(bytes.subarray(info.offset + t.data.length, padEnd).every((b) => b === 0));
      end = padEnd;
    }
    assert.equal(bytes.length, end, "the file ends with the last tensor's padding");
    g.close();
  });

  it("refuses wrong byte counts, duplicate keys, long names; a failure mid-stream leaves no file under the final name", () => {
    const out = path.join(tmp, "bad.gguf");
    const t = TENSORS[1];
    assert.throws(() => writeGguf(out, METADATA, [{ ...t, bytes: () => t.data.subarray(1) }]), /203 bytes produced, 204 announced/);
    assert.throws(() => writeGguf(out, [...METADATA, kv.u32("test.u8", 1)], []), /duplicate key test\.u8/);
    assert.throws(() => writeGguf(out, [], [{ ...t, name: "x".repeat(64), bytes: () => t.data }]), /longer than 63 bytes/);
    assert.throws(() => writeGguf(out, [], [{ ...t, ne: [48, 3], bytes: () => t.data }]), /not whole Q8_0 blocks/);
    assert.throws(() =>
      writeGguf(out, METADATA, [
        { ...TENSORS[0], bytes: () => TENSORS[0].data },
        { ...t, bytes: () => { throw new Error("killed"); } },
      ]),
    /killed/);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith("bad.gguf")), []);
  });
});
