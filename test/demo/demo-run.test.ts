import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { FIELD_KEYS } from "../../src/demo/dataset.js";
import { runCliInProcess } from "../helpers/cli.js";

// A short run of `loraforge demo --base random` (400 optimizer steps on 600 records, about 45 s on 2 cores): the
// whole pipeline on the fallback base, and that its base and settings learn the task. Training is deterministic for the seed (any thread count), so
// this either always passes or always fails for given code; the time budget is far away and plays no part.
test("loraforge demo --base random runs end to end and learns the task: held-out records go from 0% to ≥ 95% of fields", { timeout: 600_000 }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-demo-"));
  try {
    const r = await runCliInProcess("demo", "--base", "random", "--out", out, "--train-records", "600", "--test-records", "20", "--max-steps", "400", "--minutes", "60");
    assert.equal(r.code, 0, r.out);
    for (const row of ["base model (random)", "majority baseline", "base + LoRA adapter", "JSON valid"]) assert.match(r.out, new RegExp(row.replace(/[()+]/g, "\\$&")));
    for (const file of ["model/config.json", "data/train.jsonl", "data/test.jsonl", "data/prepared/val.jsonl", "config.yaml", "run/adapter/adapter_config.json", "run/report.html"]) {
      assert.ok(fs.existsSync(path.join(out, file)), `${file} missing`);
    }
    type Metrics = { records: number; jsonValid: number; exactMatch: number; fields: Record<string, number>; fieldMean: number };
    const metrics = JSON.parse(fs.readFileSync(path.join(out, "metrics.json"), "utf8")) as Record<string, Metrics>;
    for (const k of ["before", "after", "baseline"]) {
      assert.equal(metrics[k].records, 20);
      assert.deepEqual(Object.keys(metrics[k].fields), FIELD_KEYS);
    }
    const { before, after, baseline } = metrics;
    assert.equal(before.jsonValid, 0, "the random base writes no JSON");
    assert.equal(after.jsonValid, 1);
    assert.ok(after.fieldMean >= 0.95 && after.exactMatch >= 0.9, `adapter: fields ${after.fieldMean}, exact ${after.exactMatch}`);
    for (const key of FIELD_KEYS) assert.ok(after.fields[key] >= baseline.fields[key], `${key}: ${after.fields[key]} vs baseline ${baseline.fields[key]}`);
    assert.ok(after.fieldMean > baseline.fieldMean + 0.2, `fields ${after.fieldMean} vs baseline ${baseline.fieldMean}`);
    const config = JSON.parse(fs.readFileSync(path.join(out, "model/config.json"), "utf8")) as Record<string, unknown>;
    assert.equal(config.tie_word_embeddings, true, "the demo base has tied embeddings");
    assert.equal(metrics.baseline.jsonValid, 1);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
