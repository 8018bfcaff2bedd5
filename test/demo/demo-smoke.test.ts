import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { FIELD_KEYS } from "../../src/demo/dataset.js";
import { runCliInProcess } from "../helpers/cli.js";

// A short run of `loraforge demo` (2 optimizer steps on 64 records): the whole pipeline, not the learning.
test("loraforge demo runs end to end and prints before/after metrics beside the baseline", { timeout: 120_000 }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-demo-"));
  try {
    const r = await runCliInProcess("demo", "--out", out, "--train-records", "64", "--test-records", "3", "--max-steps", "2", "--minutes", "5");
    assert.equal(r.code, 0, r.out);
    for (const row of ["base model (random)", "majority baseline", "base + LoRA adapter", "JSON valid"]) assert.match(r.out, new RegExp(row.replace(/[()+]/g, "\\$&")));
    for (const file of ["model/config.json", "data/train.jsonl", "data/test.jsonl", "data/prepared/val.jsonl", "config.yaml", "run/adapter/adapter_config.json", "run/report.html"]) {
      assert.ok(fs.existsSync(path.join(out, file)), `${file} missing`);
    }
    const metrics = JSON.parse(fs.readFileSync(path.join(out, "metrics.json"), "utf8")) as Record<string, { records: number; jsonValid: number; fields: object }>;
    for (const k of ["before", "after", "baseline"]) {
      assert.equal(metrics[k].records, 3);
      assert.deepEqual(Object.keys(metrics[k].fields), FIELD_KEYS);
    }
    const config = JSON.parse(fs.readFileSync(path.join(out, "model/config.json"), "utf8")) as Record<string, unknown>;
    assert.equal(config.tie_word_embeddings, true, "the demo base has tied embeddings");
    assert.equal(metrics.baseline.jsonValid, 1);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
