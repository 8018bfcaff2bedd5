import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/util/errors.js";
import { resolveConfig } from "../../src/train/config-load.js";
import { computeDtypeOf } from "../../src/train/config-schema.js";
import { openSession } from "../../src/train/index.js";
import { microModelFolder, preparedData } from "./helpers.js";

const minimal = { model: "m", data: { train: "t.jsonl" } };

describe("train config: the bf16 compute mode (`bf16` as TRL, or `compute_dtype`)", () => {
  it("defaults to f32; `bf16: true` and `compute_dtype: bf16` both select bf16", () => {
    assert.equal(computeDtypeOf(resolveConfig(minimal, "cfg")), "f32");
    assert.equal(computeDtypeOf(resolveConfig({ ...minimal, bf16: true }, "cfg")), "bf16");
    assert.equal(computeDtypeOf(resolveConfig({ ...minimal, compute_dtype: "bf16" }, "cfg")), "bf16");
    assert.equal(computeDtypeOf(resolveConfig({ ...minimal, bf16: false, compute_dtype: "f32" }, "cfg")), "f32");
  });

  it("rejects contradicting or unknown values with a ConfigError naming the key", () => {
    assert.throws(
      () => resolveConfig({ ...minimal, bf16: true, compute_dtype: "f32" }, "cfg.yaml"),
      (e: Error) => e instanceof ConfigError && /cfg\.yaml/.test(e.message) && /bf16: true contradicts compute_dtype: f32/.test(e.message),
    );
    assert.throws(() => resolveConfig({ ...minimal, compute_dtype: "fp16" }, "cfg.yaml"), (e: Error) => e instanceof ConfigError && /compute_dtype/.test(e.message));
    assert.throws(() => resolveConfig({ ...minimal, bf16: "yes" }, "cfg.yaml"), (e: Error) => e instanceof ConfigError && /bf16/.test(e.message));
  });

  it("a session opened from such a config computes its frozen products in bf16", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lf-bf16-"));
    const config = resolveConfig({ model: microModelFolder(dir), data: { train: preparedData(dir, { train: 8, val: 2 }) }, bf16: true, output_dir: path.join(dir, "out") }, "cfg");
    const session = await openSession(config);
    assert.equal(session.model.computeDtype, "bf16");
    for (const layer of session.model.weights.layers) {
      assert.equal(layer.mlp.downProj.compute, "bf16");
      assert.equal(layer.attention.compute, "bf16");
    }
  });
});
