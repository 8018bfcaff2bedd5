import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { scoreGeneration, summarizeScores } from "../../src/train/eval-metrics.js";
import { promptAndReference } from "../../src/train/evaluate.js";
import { runCli, runCliInProcess } from "../helpers/cli.js";
import { microModelFolder, preparedData, writeConfig } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-eval-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("eval metrics", () => {
  it("exact match, JSON validity and field accuracy", () => {
    const ref = '{"name": "Ada", "age": 36}';
    assert.deepEqual(scoreGeneration(' {"name":"Ada","age":36}', ref), { exactMatch: false, json: { parses: true, fieldsMatched: 2, fields: 2 } });
    assert.deepEqual(scoreGeneration('{"name": "Ada", "age": 37}', ref).json, { parses: true, fieldsMatched: 1, fields: 2 });
    assert.deepEqual(scoreGeneration('{"name": "Ada", "age"', ref).json, { parses: false, fieldsMatched: 0, fields: 2 });
    assert.equal(scoreGeneration("Paris ", "Paris").exactMatch, true);
    assert.equal(scoreGeneration("Paris", "Paris").json, undefined);
    const s = summarizeScores([scoreGeneration(ref, ref), scoreGeneration("{}", ref), scoreGeneration("x", "x")]);
    assert.equal(s.exactMatch, 2 / 3);
    assert.equal(s.jsonValid, 1);
    assert.equal(s.fieldAccuracy, 0.5);
  });

  it("splits a record into the prompt before its first trained label and the trained reference", () => {
    const r = { inputIds: Int32Array.from([1, 5, 6, 7, 8, 2]), labels: Int32Array.from([-100, -100, -100, 7, 8, 2]) };
    assert.deepEqual(promptAndReference(r), { prompt: [1, 5, 6], reference: [7, 8, 2] });
    assert.equal(promptAndReference({ inputIds: Int32Array.from([1, 2]), labels: Int32Array.from([-100, -100]) }), undefined);
  });
});

describe("loraforge eval", () => {
  it("the dataset loss is the target-weighted mean of the per-record losses, and a trained adapter lowers it", async () => {
    const model = microModelFolder(tmp);
    const data = preparedData(tmp, { train: 16, val: 0, overfit: true });
    const config = writeConfig(tmp, "e.yaml", { model, data: { train: data, val_fraction: 0 }, learning_rate: 0.005, max_steps: 20, batch_size: 4, output_dir: "out" });
    assert.equal((await runCli(["train", config])).code, 0);
    const file = path.join(data, "train.jsonl");
    const base = await runCliInProcess("eval", "--model", model, "--data", file, "--json");
    const tuned = await runCliInProcess("eval", "--model", model, "--adapter", path.join(tmp, "out", "adapter"), "--data", file, "--json");
    assert.equal(base.code, 0, base.out);
    const b = JSON.parse(base.out) as { loss: number; targets: number; perRecord: Array<{ loss: number; targets: number }> };
    const t = JSON.parse(tuned.out) as { loss: number };
    const weighted = b.perRecord.reduce((n, r) => n + r.loss * r.targets, 0) / b.targets;
    assert.ok(Math.abs(weighted - b.loss) < 1e-9 * Math.max(1, b.loss));
    assert.equal(b.perRecord.length, 16);
    assert.ok(t.loss < b.loss - 0.5, `adapter loss ${t.loss} vs base ${b.loss}`);
  });

  it("a missing data file is a clear error", async () => {
    const model = microModelFolder(tmp);
    const r = await runCliInProcess("eval", "--model", model, "--data", path.join(tmp, "nope.jsonl"));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /nope\.jsonl: file not found/);
  });
});

describe("loraforge eval: nothing to score is an error (issue 15)", () => {
  it("an empty val.jsonl, or records without trained tokens, refuse to report a perfect score", async () => {
    const model = microModelFolder(tmp);
    const data = preparedData(tmp, { train: 4, val: 0, seed: 5 });
    const empty = await runCliInProcess("eval", "--model", model, "--data", data);
    assert.notEqual(empty.code, 0, empty.out);
    assert.match(empty.out, /val\.jsonl: no trained tokens to evaluate/);
    assert.doesNotMatch(empty.out, /perplexity 1\.00/);
    const untrained = path.join(tmp, "untrained.jsonl");
    fs.writeFileSync(untrained, `${JSON.stringify({ input_ids: [1, 2, 3], labels: [-100, -100, -100] })}\n`);
    const none = await runCliInProcess("eval", "--model", model, "--data", untrained);
    assert.notEqual(none.code, 0, none.out);
    assert.match(none.out, /untrained\.jsonl: no trained tokens to evaluate/);
  });
});
