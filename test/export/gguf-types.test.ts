import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { exportGguf, useMoreBits } from "../../src/export/index.js";
import { GgufFile } from "../../src/gguf/index.js";
import { loadModel } from "../../src/model/index.js";
import { modelFolder, prompts } from "./fixtures.js";
import { compare, llamaLogProbs, ourLogProbs } from "./llama-cpp.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-gguf-types-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * The tiny preset (4 layers, hidden 256, FFN 688, tied embeddings) under each llama-quantize type, restated:
 * use_more_bits(i, 4) holds for layers 2 and 3 (i ≥ 7·4/8 = 3, or (i − 0) % 3 == 2); rows of 688 are neither
 * whole 256- nor 32-blocks, so ffn_down always ends as F16; the tied embedding (rows of 256) gets the output rule.
 */
const EXPECTED: Record<string, { fileType: number; embd: string; attnV: [string, string]; down: string; other: string }> = {
  q4_0: { fileType: 2, embd: "Q6_K", attnV: ["Q4_0", "Q4_0"], down: "F16", other: "Q4_0" },
  q4_1: { fileType: 3, embd: "Q6_K", attnV: ["Q4_1", "Q4_1"], down: "F16", other: "Q4_1" },
  q4_k_m: { fileType: 15, embd: "Q6_K", attnV: ["Q4_K", "Q6_K"], down: "F16", other: "Q4_K" },
  q5_k_m: { fileType: 17, embd: "Q6_K", attnV: ["Q5_K", "Q6_K"], down: "F16", other: "Q5_K" },
  q6_k: { fileType: 18, embd: "Q6_K", attnV: ["Q6_K", "Q6_K"], down: "F16", other: "Q6_K" },
  bf16: { fileType: 32, embd: "BF16", attnV: ["BF16", "BF16"], down: "BF16", other: "BF16" },
};

/**
 * llama.cpp on the exported file against our forward on the same file's dequantized weights: only llama.cpp's own
 * rounding of activations (q8 blocks for quantized weights) separates them, so the bytes mean the same to both
 * decoders. Measured: mean KL 4.7e-4 (q4_0) … 7.9e-4 (q5_k_m), 4.4e-5 (bf16), top-1 100%; asserted:
 */
const SAME_FILE_KL = 5e-3;
const klToF32: Record<string, number> = {};

describe("export gguf: every llama-quantize type, restated for the tiny preset, loads and runs in llama.cpp", () => {
  const dir = () => modelFolder(path.join(tmp, "tiny"), { arch: "llama", tieWordEmbeddings: true });
  let reference: Float64Array[][];
  const ids = prompts(32000, 1, [10, 6]);
  before(() => {
    reference = ourLogProbs(loadModel(dir()), ids);
  });

  it("use_more_bits as llama.cpp defines it", () => {
    assert.deepEqual([0, 1, 2, 3].filter((i) => useMoreBits(i, 4)), [2, 3]);
    assert.deepEqual(Array.from({ length: 32 }, (_, i) => i).filter((i) => useMoreBits(i, 32)), [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
  });

  after(() => {
    // More bits, less drift from the f32 model (a sanity check on the whole chain; measured in the diagnostics).
    assert.ok(klToF32.q6_k < klToF32.q5_k_m && klToF32.q5_k_m < klToF32.q4_k_m && klToF32.bf16 < klToF32.q6_k, JSON.stringify(klToF32));
  });

  for (const [type, want] of Object.entries(EXPECTED)) {
    it(type, async (t) => {
      const out = path.join(tmp, `${type}.gguf`);
      exportGguf({ model: dir(), out, type: type as never });
      const g = GgufFile.open(out);
      assert.equal(g.metadata.u32("general.file_type"), want.fileType);
      for (const info of g.tensors.values()) {
        const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(info.name);
        const expected =
          info.ne.length === 1 ? "F32" : info.name === "token_embd.weight" ? want.embd : m?.[2] === "ffn_down" ? want.down : m?.[2] === "attn_v" ? want.attnV[Number(m[1]) >= 2 ? 1 : 0] : want.other;
        assert.equal(info.type.name, expected, info.name);
      }
      g.close();
      const theirs = await llamaLogProbs(out, ids);
      const same = compare(ourLogProbs(loadModel(out), ids), theirs);
      const drift = compare(reference, theirs);
      klToF32[type] = drift.meanKl;
      t.diagnostic(`${type}: llama.cpp vs our forward on the same GGUF: top-1 ${same.top1.toFixed(3)}, mean KL ${same.meanKl.toExponential(2)}; vs the f32 model: mean KL ${drift.meanKl.toExponential(2)}`);
      assert.ok(same.meanKl <= SAME_FILE_KL, `llama.cpp decodes our ${type} bytes as we do: mean KL ${same.meanKl}`);
      assert.ok(same.top1 >= 0.9, `top-1 ${same.top1}`);
    });
  }
});
