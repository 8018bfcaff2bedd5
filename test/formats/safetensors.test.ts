import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { SafetensorsReader, tensorSources, withSafetensors, writeSafetensors } from "../../src/formats/index.js";
import { Tensor } from "../../src/tensor/index.js";
import { InputError } from "../../src/util/errors.js";
import { bitIdentical, randomTensor } from "../helpers/numeric.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-st-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sample(): Array<[string, Tensor]> {
  return [
    ["z.f16", randomTensor([3, 5], 1, "f16")],
    ["a.bf16", randomTensor([7], 2, "bf16")],
    ["m.f32", randomTensor([2, 3, 4], 3)],
    ["b.f64", randomTensor([5], 4, "f64")],
    ["ids", Tensor.fromNumbers([3], [1, -2, 3]).to("i32")],
    ["scalar", Tensor.fromNumbers([], [2.5])],
    ["empty", Tensor.zeros([0, 4], "bf16")],
  ];
}

/** A file made of a given header object and data bytes, bypassing the writer. */
function rawFile(name: string, header: unknown, data: Uint8Array, lengthOverride?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.concat([prefix, json, data]));
  return file;
}

function expectInputError(file: string, pattern: RegExp): void {
  assert.throws(
    () => SafetensorsReader.open(file).close(),
    (err: unknown) => err instanceof InputError && err.message.includes(file) && pattern.test(err.message),
  );
}

describe("safetensors write → read", () => {
  const file = path.join(tmp, "round.safetensors");
  writeSafetensors(file, tensorSources(sample()));

  it("gives identical bits in every stored dtype", () => {
    withSafetensors(file, (r) => {
      for (const [name, t] of sample()) {
        const back = r.read(name);
        assert.equal(back.dtype, t.dtype, name);
        assert.deepEqual(back.shape, t.shape, name);
        assert.ok(bitIdentical(back, t), name);
      }
      assert.deepEqual(r.metadata, { format: "pt" });
    });
  });

  it("converts on read: bf16/f16 → f32 exactly, f32 → bf16 rounded to nearest even", () => {
    withSafetensors(file, (r) => {
      assert.ok(bitIdentical(r.read("a.bf16", "f32"), sample()[1][1].to("f32")));
      assert.ok(bitIdentical(r.read("z.f16", "f32"), sample()[0][1].to("f32")));
      assert.ok(bitIdentical(r.read("m.f32", "bf16"), sample()[2][1].to("bf16")));
      assert.throws(() => r.read("ids", "f32"), /cannot be converted/);
      assert.throws(() => r.read("nope"), /no tensor named "nope"/);
    });
  });

  it("pads the header to 8 bytes and orders tensors by descending alignment, then name", () => {
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const header = bytes.subarray(8, 8 + n).toString("utf8");
    assert.match(header, /^\{"__metadata__":\{"format":"pt"\}/);
    assert.match(header, / *$/);
    withSafetensors(file, (r) => {
      assert.deepEqual(r.names(), ["b.f64", "ids", "m.f32", "scalar", "a.bf16", "empty", "z.f16"]);
      for (const e of r.header.entries) {
        const size = { F64: 8, I32: 4, F32: 4, BF16: 2, F16: 2 }[e.dtype as string]!;
        assert.equal((8 + n + e.begin) % size, 0, `${e.name} aligned`);
      }
    });
  });

  it("reads a large tensor in chunks when converting", () => {
    const big = randomTensor([3, 700_001], 9, "bf16");
    const f = path.join(tmp, "big.safetensors");
    writeSafetensors(f, tensorSources([["w", big]]));
    withSafetensors(f, (r) => assert.ok(bitIdentical(r.read("w", "f32"), big.to("f32"))));
  });

  it("leaves no temporary file behind and replaces an existing file", () => {
    writeSafetensors(file, tensorSources(sample()));
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-")), []);
  });
});

describe("safetensors bad input: a clear error naming the file", () => {
  const f32 = (n: number) => new Uint8Array(n * 4);

  it("a file shorter than 8 bytes", () => {
    const file = path.join(tmp, "short.safetensors");
    fs.writeFileSync(file, Buffer.from([1, 2, 3]));
    expectInputError(file, /shorter than the 8-byte header length/);
  });

  it("a header length larger than the file", () => {
    expectInputError(rawFile("hlen.safetensors", { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32(1), 1_000_000n), /runs past the end of the file/);
    expectInputError(rawFile("hlen2.safetensors", {}, f32(0), 2n ** 63n), /runs past the end of the file/);
  });

  it("a truncated file", () => {
    const good = path.join(tmp, "good.safetensors");
    writeSafetensors(good, tensorSources([["w", randomTensor([64], 1)]]));
    const bytes = fs.readFileSync(good);
    const cut = path.join(tmp, "cut.safetensors");
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    expectInputError(cut, /run past the end of the data .*truncated/);
    fs.writeFileSync(cut, bytes.subarray(0, 20));
    expectInputError(cut, /header length \d+ runs past the end of the file/);
  });

  it("offsets past the end of the file", () => {
    expectInputError(rawFile("past.safetensors", { a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, f32(2)), /run past the end/);
  });

  it("overlapping offsets", () => {
    const header = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } };
    expectInputError(rawFile("overlap.safetensors", header, f32(3)), /overlap/);
  });

  it("a hole between tensors, or trailing bytes", () => {
    const header = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } };
    expectInputError(rawFile("hole.safetensors", header, f32(3)), /hole/);
    expectInputError(rawFile("trail.safetensors", { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32(2)), /trailing bytes/);
  });

  it("a wrong dtype string", () => {
    expectInputError(rawFile("dtype.safetensors", { a: { dtype: "FLOAT32", shape: [1], data_offsets: [0, 4] } }, f32(1)), /unknown dtype "FLOAT32"/);
    expectInputError(rawFile("dtype2.safetensors", { a: { dtype: "f32", shape: [1], data_offsets: [0, 4] } }, f32(1)), /unknown dtype "f32"/);
  });

  it("a size that does not match dtype × shape", () => {
    expectInputError(rawFile("size.safetensors", { a: { dtype: "BF16", shape: [3], data_offsets: [0, 4] } }, f32(1)), /needs 6/);
  });

  it("malformed header JSON and bad entries", () => {
    const file = path.join(tmp, "json.safetensors");
    const body = Buffer.from('{"a": {"dtype": "F32",');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(body.length));
    fs.writeFileSync(file, Buffer.concat([prefix, body]));
    expectInputError(file, /not valid UTF-8 JSON/);
    expectInputError(rawFile("arr.safetensors", [1, 2], f32(0)), /does not start with '\{'/);
    expectInputError(rawFile("shape.safetensors", { a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32(1)), /shape/);
    expectInputError(rawFile("offs.safetensors", { a: { dtype: "F32", shape: [1], data_offsets: [4] } }, f32(1)), /data_offsets/);
    expectInputError(rawFile("meta.safetensors", { __metadata__: { n: 1 } }, f32(0)), /__metadata__\.n must be a string/);
  });

  it("a missing file", () => {
    expectInputError(path.join(tmp, "absent.safetensors"), /cannot open: ENOENT/);
  });

  it("non-float dtypes are read as raw bytes only", () => {
    const file = rawFile("u8.safetensors", { q: { dtype: "U8", shape: [4], data_offsets: [0, 4] } }, new Uint8Array([1, 2, 3, 4]));
    withSafetensors(file, (r) => {
      assert.deepEqual([...r.readBytes("q")], [1, 2, 3, 4]);
      assert.throws(() => r.read("q"), /U8, which loraforge does not read as numbers/);
    });
  });
});
