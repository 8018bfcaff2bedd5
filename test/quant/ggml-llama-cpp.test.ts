import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { GGML_TYPES, dequantizeGgml, quantizeGgml } from "../../src/quant/index.js";
import type { GgmlTypeInfo } from "../../src/quant/index.js";
import { Rng } from "../../src/util/rng.js";
import { randomBlocks } from "./ggml-reference.js";

// llama.cpp itself as the reference: libggml-base from the node-llama-cpp 3.21.1 devDependency, called through a
// small C harness (llama-cpp/ggml_ref.c) compiled here. Encoding goes through ggml_quantize_chunk with no
// importance matrix, exactly what llama-quantize runs; decoding through dequantize_row_* / ggml_*_to_fp32_row.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const platformPackage = `@node-llama-cpp/${process.platform}-${process.arch}`;
const lib = path.join(root, "node_modules", platformPackage, "bins", `${process.platform}-${process.arch}`, "libggml-base.so");

function buildHarness(): string {
  assert.ok(existsSync(lib), `${lib} is missing: run \`npm install\` (node-llama-cpp 3.21.1 ships it as ${platformPackage})`);
  const dir = mkdtempSync(path.join(tmpdir(), "lf-ggml-ref-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = path.join(dir, "ggml_ref");
  const cc = spawnSync("cc", ["-O1", "-o", exe, path.join(here, "llama-cpp", "ggml_ref.c"), "-ldl"], { encoding: "utf8" });
  assert.equal(cc.status, 0, `compiling the llama.cpp harness failed (a C compiler is needed, as for npm install): ${cc.stderr ?? cc.error}`);
  return exe;
}

const harness = buildHarness();

function llamaQuantize(type: GgmlTypeInfo, values: Float32Array, rowLength: number): Uint8Array {
  const res = spawnSync(harness, [lib, "quantize", String(type.id), String(values.length / rowLength), String(rowLength)], {
    input: Buffer.from(values.buffer, values.byteOffset, values.byteLength),
    maxBuffer: 1 << 28,
  });
  assert.equal(res.status, 0, String(res.stderr));
  return new Uint8Array(res.stdout);
}

function llamaDequantize(type: GgmlTypeInfo, bytes: Uint8Array, count: number): Float32Array {
  const symbol = { F32: "", F16: "ggml_fp16_to_fp32_row", BF16: "ggml_bf16_to_fp32_row" }[type.name as string] ?? `dequantize_row_${type.name.toLowerCase().replace("_k", "_K")}`;
  const res = spawnSync(harness, [lib, "dequantize", symbol, String(count), String(bytes.length)], { input: bytes, maxBuffer: 1 << 28 });
  assert.equal(res.status, 0, String(res.stderr));
  const out = new Uint8Array(res.stdout);
  return new Float32Array(out.buffer, out.byteOffset, count);
}

/**
 * Rows of N(0, σ) weights at three scales, plus zero, constant, outlier and all-positive blocks of 256, and a last
 * row of degenerate blocks (huge values, f32 subnormals) where scales overflow and llama.cpp's casts meet Inf/NaN.
 */
function weights(rowLength: number, rows: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: rowLength * rows }, (_, i) => rng.normal() * [0.02, 1, 3e-4][Math.floor(i / rowLength) % 3]);
  x.fill(0, 0, 256);
  x.fill(-0.37, 256, 512);
  x[512 + 77] = 3;
  for (let i = 768; i < 1024; i++) x[i] = Math.abs(x[i]);
  const last = x.subarray(rowLength * (rows - 1));
  const degenerate = [(i: number) => ((i % 7) - 3) * 1e37, (i: number) => ((i % 5) - 2) * 1e-40, (i: number) => (i === 88 ? 3e38 : (i % 3) * 1e-3),
    (i: number) => (i % 2 ? 65504 * 9 : -1e-30), (i: number) => 1.4e-45 * (i % 4), (i: number) => -3.4e38 + i];
  for (let i = 0; i < last.length; i++) last[i] = degenerate[Math.floor(i / 256) % degenerate.length](i % 256);
  return x;
}

function firstDifference(a: Uint8Array, b: Uint8Array, blockBytes: number): string {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `first difference in block ${Math.floor(i / blockBytes)} (byte ${i % blockBytes})`;
  }
  return a.length === b.length ? "equal" : `lengths ${a.length} vs ${b.length}`;
}

describe("the ggml codecs equal llama.cpp's own (libggml-base from node-llama-cpp 3.21.1)", () => {
  const rowLength = 1536;
  const x = weights(rowLength, 12, 41);

  for (const type of GGML_TYPES.filter((t) => t.name !== "F32")) {
    it(`${type.name}: quantize equals ggml_quantize_chunk byte for byte`, () => {
      const ours = quantizeGgml(type, x, rowLength);
      const theirs = llamaQuantize(type, x, rowLength);
      assert.ok(Buffer.compare(ours, theirs) === 0, `${type.name}: ${firstDifference(ours, theirs, type.typeSize)}`);
    });

    it(`${type.name}: dequantize equals llama.cpp's decoder bit for bit`, () => {
      const blocks = type.blockSize === 1 ? 4096 : 4096 / type.blockSize + 3;
      const bytes = randomBlocks(type, blocks, 77 + type.id);
      const count = blocks * type.blockSize;
      const ours = new Uint32Array(dequantizeGgml(type, bytes, count).buffer);
      const theirs = llamaDequantize(type, bytes, count);
      const theirBits = new Uint32Array(theirs.buffer.slice(theirs.byteOffset, theirs.byteOffset + 4 * count));
      for (let i = 0; i < count; i++) {
        const bothNaN = Number.isNaN(theirs[i]) && (ours[i] & 0x7fffffff) > 0x7f800000;
        if (!bothNaN && ours[i] !== theirBits[i]) assert.fail(`${type.name} element ${i}: bits ${ours[i].toString(16)} vs ${theirBits[i].toString(16)}`);
      }
    });
  }
});
