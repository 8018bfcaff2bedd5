import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { SafetensorsReader } from "../../src/formats/index.js";
import { forwardLogits, loadModel, loadWeights, makeBatch, readModelFolder } from "../../src/model/index.js";
import type { FrozenLinear } from "../../src/model/index.js";
import { bnbTensors, writeRawSafetensors } from "../../src/quant/index.js";
import type { Quant4Tensor, RawTensor } from "../../src/quant/index.js";
import { bitIdentical, relativeError } from "../helpers/numeric.js";

// A tiny Qwen2 (hidden 64, intermediate 160, q/k/v biases) saved by transformers in bf16 and as bitsandbytes
// 4-bit checkpoints (interop/steps/61_bnb_fixture.py, bitsandbytes 0.50.2 on CPU).
const FIXTURE = path.join(import.meta.dirname, "fixtures", "bnb-tiny");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-bnb-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function linears(dir: string, quantization?: "nf4" | "fp4-no-double-quant" | "nf4-no-double-quant"): Map<string, FrozenLinear> {
  const { config } = readModelFolder(dir);
  const w = loadWeights(dir, config, { quantization });
  const out = new Map<string, FrozenLinear>();
  w.layers.forEach((l, i) => {
    for (const [k, v] of Object.entries({ ...l.attention, ...l.mlp })) if (v && typeof v === "object" && "weight" in v) out.set(`model.layers.${i}.${k}`, v as FrozenLinear);
  });
  return out;
}

/**
 * Double-quant codes: bitsandbytes' CPU `quantize_blockwise` finds the bucket with an approximate binary search
 * (BinSearch "Direct2") and then compares the two neighbours, so now and then it stores the code one below the
 * nearest. Ours is the exact nearest (ties to the lower code). Where the two differ, they must be adjacent and
 * ours must be at least as near; every other byte of the checkpoint is compared exactly.
 */
function checkNestedCodes(q: Quant4Tensor, absmax: Float32Array, theirs: Uint8Array, name: string): number {
  const n = q.scales.nested!;
  let mismatches = 0;
  n.codes.forEach((ours, b) => {
    const other = theirs[b];
    if (ours === other) return;
    mismatches++;
    assert.equal(Math.abs(ours - other), 1, `${name}[${b}]: codes ${ours} vs ${other} are not adjacent`);
    const v = Math.fround(Math.fround(absmax[b] - n.offset) / n.absmax[Math.floor(b / n.blocksize)]);
    assert.ok(Math.abs(v - n.map[ours]) <= Math.abs(v - n.map[other]), `${name}[${b}]: ours (${ours}) is not the nearer code`);
  });
  return mismatches;
}

function rawOf(file: string): Map<string, RawTensor> {
  const r = SafetensorsReader.open(file);
  try {
    return new Map(r.names().map((n) => [n, { name: n, dtype: r.entry(n).dtype, shape: r.entry(n).shape, bytes: r.readBytes(n) }]));
  } finally {
    r.close();
  }
}

describe("bitsandbytes 4-bit checkpoints (transformers serialization)", () => {
  for (const [variant, quantization] of [["nf4-dq", "nf4"], ["fp4", "fp4-no-double-quant"]] as const) {
    it(`${variant}: quantize-on-load of the bf16 folder reproduces transformers' 4-bit tensors byte for byte (double-quant codes: see checkNestedCodes)`, () => {
      const ours = linears(path.join(FIXTURE, "bf16"), quantization);
      const theirs = rawOf(path.join(FIXTURE, variant, "model.safetensors"));
      const projName: Record<string, string> = { qProj: "self_attn.q_proj", kProj: "self_attn.k_proj", vProj: "self_attn.v_proj", oProj: "self_attn.o_proj", gateProj: "mlp.gate_proj", upProj: "mlp.up_proj", downProj: "mlp.down_proj" };
      assert.equal(ours.size, 14);
      const plain = linears(path.join(FIXTURE, "bf16"), "nf4-no-double-quant");
      let nestedMismatches = 0;
      let nestedTotal = 0;
      for (const [key, layer] of ours) {
        const [, , i, k] = key.split(".");
        const weightName = `model.layers.${i}.${projName[k]}.weight`;
        for (const t of bnbTensors(weightName, layer.quant!)) {
          const ref = theirs.get(t.name);
          assert.ok(ref, `${t.name} is not in transformers' file`);
          assert.equal(t.dtype, ref.dtype, t.name);
          assert.deepEqual(t.shape, ref.shape, t.name);
          if (t.name.endsWith(".absmax") && t.dtype === "U8") {
            nestedMismatches += checkNestedCodes(layer.quant!, plain.get(key)!.quant!.scales.absmax!, ref.bytes, t.name);
            nestedTotal += t.bytes.length;
          } else {
            assert.equal(Buffer.from(t.bytes).toString("hex"), Buffer.from(ref.bytes).toString("hex"), t.name);
          }
        }
      }
      assert.ok(nestedMismatches <= nestedTotal / 50, `${nestedMismatches} of ${nestedTotal} double-quant codes differ`);
    });

    it(`${variant}: loads transformers' 4-bit folder; same logits as quantizing the bf16 folder (up to the rare double-quant code)`, () => {
      const pre = loadModel(path.join(FIXTURE, variant));
      const onLoad = loadModel(path.join(FIXTURE, "bf16"), { quantization });
      const q = pre.weights.layers[1].mlp.downProj.quant as Quant4Tensor;
      assert.equal(q.quantType, variant === "fp4" ? "fp4" : "nf4");
      assert.deepEqual(q.shape, [64, 160]);
      assert.ok(pre.weights.layers[0].attention.qProj.bias, "q_proj bias stays dense");
      const batch = makeBatch([{ inputIds: [1, 7, 3, 9, 4, 50, 2] }]);
      const a = forwardLogits(pre, batch);
      const b = forwardLogits(onLoad, batch);
      if (variant === "fp4") assert.ok(bitIdentical(a, b));
      else assert.ok(relativeError(a, b) < 1e-3, `${relativeError(a, b)}`);
    });
  }

  it("writes what it reads: every 4-bit tensor group re-serialized byte for byte, quant_state JSON included", () => {
    const theirs = rawOf(path.join(FIXTURE, "nf4-dq", "model.safetensors"));
    const pre = linears(path.join(FIXTURE, "nf4-dq"));
    const q = pre.get("model.layers.0.qProj")!.quant!;
    for (const t of bnbTensors("model.layers.0.self_attn.q_proj.weight", q)) {
      assert.equal(Buffer.from(t.bytes).toString("hex"), Buffer.from(theirs.get(t.name)!.bytes).toString("hex"), t.name);
    }
  });

  describe("corrupt checkpoints: errors name the tensor", () => {
    const corrupt = (name: string, edit: (m: Map<string, RawTensor>) => void): string => {
      const dir = path.join(tmp, name);
      fs.mkdirSync(dir);
      for (const f of ["config.json", "generation_config.json"]) fs.copyFileSync(path.join(FIXTURE, "nf4-dq", f), path.join(dir, f));
      const m = rawOf(path.join(FIXTURE, "nf4-dq", "model.safetensors"));
      edit(m);
      writeRawSafetensors(path.join(dir, "model.safetensors"), [...m.values()]);
      return dir;
    };
    const P = "model.layers.1.mlp.down_proj.weight";

    it("wrong packed size", () => {
      const dir = corrupt("packed", (m) => {
        const t = m.get(P)!;
        m.set(P, { ...t, shape: [t.shape[0] - 1, 1], bytes: t.bytes.subarray(1) });
      });
      assert.throws(() => loadModel(dir), new RegExp(`tensor ${P.replaceAll(".", "\\.")}: packed codes hold 5119 bytes, but shape \\[64, 160\\] needs 5120`));
    });

    it("missing absmax", () => {
      const dir = corrupt("absmax", (m) => m.delete(`${P}.absmax`));
      assert.throws(() => loadModel(dir), new RegExp(`tensor ${P.replaceAll(".", "\\.")}\\.absmax: is missing`));
    });

    it("quant_state that disagrees with the shape", () => {
      const dir = corrupt("state", (m) => {
        const name = `${P}.quant_state.bitsandbytes__nf4`;
        const json = Buffer.from(m.get(name)!.bytes).toString("utf8").replace("[64, 160]", "[160, 64]");
        m.set(name, { name, dtype: "U8", shape: [json.length], bytes: new Uint8Array(Buffer.from(json)) });
      });
      assert.throws(() => loadModel(dir), /quant_state shape \[160,64\] disagrees with \[64, 160\] \(config\.json\)/);
    });

    it("quant_state that is not JSON, and an unknown quantization name", () => {
      const dir = corrupt("json", (m) => {
        const name = `${P}.quant_state.bitsandbytes__nf4`;
        m.set(name, { name, dtype: "U8", shape: [3], bytes: new Uint8Array([0x7b, 0x7b, 0x7b]) });
      });
      assert.throws(() => loadModel(dir), /quant_state\.bitsandbytes__nf4: is not UTF-8 JSON/);
      assert.throws(() => loadModel(path.join(FIXTURE, "bf16"), { quantization: "int3" as "nf4" }), /unknown quantization 'int3': expected one of nf4, nf4-no-double-quant, fp4, fp4-no-double-quant/);
    });
  });
});
