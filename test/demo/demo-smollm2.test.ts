import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { PRETRAINED_KEYS } from "../../src/demo/dataset.js";
import { runCliInProcess } from "../helpers/cli.js";
import { smollm2Gguf } from "../support/real-model.js";

// The quickstart on the real model, shortened (30 steps, 8 held-out records): SmolLM2-135M-Instruct cannot do the
// task before (it answers with prose or a JSON of its own shape) and copies the held-out names, cities and items
// into the right JSON after. Training is deterministic for the seed, so this passes or fails for given code.
test("loraforge demo fine-tunes SmolLM2-135M-Instruct from its GGUF: wrong before, right after", { timeout: 900_000 }, async () => {
  smollm2Gguf();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-demo-smollm2-"));
  try {
    const r = await runCliInProcess("demo", "--out", out, "--train-records", "200", "--test-records", "8", "--max-steps", "30", "--minutes", "60");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /1\/5 model: SmolLM2-135M-Instruct/);
    type Metrics = { records: number; jsonValid: number; exactMatch: number; fields: Record<string, number>; fieldMean: number };
    const metrics = JSON.parse(fs.readFileSync(path.join(out, "metrics.json"), "utf8")) as Record<string, Metrics> & { base: string };
    assert.equal(metrics.base, "pretrained");
    assert.deepEqual(Object.keys(metrics.after.fields), PRETRAINED_KEYS);
    const { before, after, baseline } = metrics;
    assert.equal(before.exactMatch, 0, "the instruct model does not know the shape before training");
    assert.ok(before.fieldMean < 0.3, `before: fields ${before.fieldMean}`);
    assert.equal(after.jsonValid, 1, r.out);
    assert.ok(after.fieldMean >= 0.85, `after: fields ${after.fieldMean}\n${r.out}`);
    for (const key of ["name", "city", "item"]) assert.ok(after.fields[key] >= 0.75, `${key} copied from held-out texts: ${after.fields[key]}`);
    assert.ok(after.fieldMean > baseline.fieldMean + 0.3, `fields ${after.fieldMean} vs baseline ${baseline.fieldMean}`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
