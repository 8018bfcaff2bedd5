import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/util/errors.js";
import { loadTrainConfig, resolveConfig, trainConfigJsonSchema } from "../../src/train/config-load.js";

const minimal = { model: "m", data: { train: "t.jsonl" } };

describe("train config", () => {
  it("fills TRL/PEFT-like defaults", () => {
    const c = resolveConfig(minimal, "cfg");
    assert.equal(c.lora.r, 16);
    assert.equal(c.lora.lora_alpha, 32);
    assert.equal(c.lora.target_modules, "all-linear");
    assert.equal(c.lr_scheduler_type, "linear");
    assert.equal(c.max_grad_norm, 1);
    assert.equal(c.data.val_fraction, 0.05);
    assert.equal(c.max_steps, undefined);
  });

  it("accepts TRL's names as aliases", () => {
    const c = resolveConfig({ ...minimal, max_length: 256, per_device_train_batch_size: 4, lora_r: 8, lora_alpha: 16 }, "cfg");
    assert.equal(c.max_seq_length, 256);
    assert.equal(c.batch_size, 4);
    assert.equal(c.lora.r, 8);
    assert.equal(c.lora.lora_alpha, 16);
  });

  it("refuses an alias and its canonical key together", () => {
    assert.throws(() => resolveConfig({ ...minimal, max_length: 256, max_seq_length: 512 }, "cfg"), /both 'max_length' and 'max_seq_length'/);
  });

  it("names an unknown key and suggests the nearest valid one", () => {
    assert.throws(
      () => resolveConfig({ ...minimal, learning_rat: 1e-4 }, "cfg.yaml"),
      (e: Error) => e instanceof ConfigError && /unknown key 'learning_rat'; did you mean 'learning_rate'\?/.test(e.message),
    );
    assert.throws(() => resolveConfig({ ...minimal, lora: { rank: 8 } }, "cfg.yaml"), /unknown key 'lora.rank'/);
    assert.throws(() => resolveConfig({ ...minimal, lora: { lora_alpah: 8 } }, "cfg.yaml"), /did you mean 'lora.lora_alpha'/);
  });

  it("names wrong types and impossible values", () => {
    assert.throws(() => resolveConfig({ ...minimal, learning_rate: -1 }, "cfg"), /'learning_rate'/);
    assert.throws(() => resolveConfig({ ...minimal, batch_size: "eight" }, "cfg"), /'batch_size'/);
    assert.throws(() => resolveConfig({ ...minimal, lora: { r: 0 } }, "cfg"), /'lora.r'/);
    assert.throws(() => resolveConfig({ ...minimal, lr_scheduler_type: "cosin" }, "cfg"), /'lr_scheduler_type'/);
    assert.throws(() => resolveConfig({ data: { train: "x" } }, "cfg"), /'model'/);
  });

  it("applies command-line overrides, nested with dots, TRL spellings included", () => {
    const c = resolveConfig(minimal, "cfg", ["--lora.r", "32", "--learning_rate=1e-4", "--packing", "true", "--max_length", "64"]);
    assert.equal(c.lora.r, 32);
    assert.equal(c.learning_rate, 1e-4);
    assert.equal(c.packing, true);
    assert.equal(c.max_seq_length, 64);
    assert.throws(() => resolveConfig(minimal, "cfg", ["--lora.r"]), /--lora.r needs a value/);
    assert.throws(() => resolveConfig(minimal, "cfg", ["--lora.rr", "3"]), /did you mean 'lora.r'/);
  });

  it("loads YAML and JSON files, resolving paths from the file's folder", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lf-config-"));
    writeFileSync(path.join(dir, "a.yaml"), "model: ./model\ndata:\n  train: [a.jsonl, b.jsonl]\nlora:\n  r: 4\n");
    const c = loadTrainConfig(path.join(dir, "a.yaml"));
    assert.equal(c.model, path.join(dir, "model"));
    assert.deepEqual(c.data.train, [path.join(dir, "a.jsonl"), path.join(dir, "b.jsonl")]);
    writeFileSync(path.join(dir, "b.json"), JSON.stringify(minimal));
    assert.equal(loadTrainConfig(path.join(dir, "b.json")).lora.r, 16);
    writeFileSync(path.join(dir, "bad.yaml"), "model: [unclosed\n");
    assert.throws(() => loadTrainConfig(path.join(dir, "bad.yaml")), /bad.yaml: not valid YAML/);
    assert.throws(() => loadTrainConfig(path.join(dir, "missing.yaml")), /cannot read config/);
  });

  it("accepts `data: FILE` and `data: [FILES]` as shorthand for data.train (issue 15)", () => {
    assert.equal(resolveConfig({ model: "m", data: "chat.jsonl" }, "cfg").data.train, "chat.jsonl");
    const list = resolveConfig({ model: "m", data: ["a.jsonl", "b.csv"] }, "cfg");
    assert.deepEqual(list.data.train, ["a.jsonl", "b.csv"]);
    assert.equal(list.data.val_fraction, 0.05, "the other data keys keep their defaults");
    assert.equal(resolveConfig(minimal, "cfg", ["--data", "c.jsonl"]).data.train, "c.jsonl");
    assert.throws(() => resolveConfig({ model: "m", data: 3 }, "cfg"), (e: Error) => e instanceof ConfigError && /'data'/.test(e.message));
    assert.throws(() => resolveConfig({ model: "m", data: [] }, "cfg"), /'data'/);
  });

  it("emits a JSON Schema listing every key", () => {
    const schema = trainConfigJsonSchema() as { properties: Record<string, unknown> };
    for (const key of ["model", "lora", "learning_rate", "early_stopping_patience", "output_dir"]) assert.ok(key in schema.properties, key);
  });
});
