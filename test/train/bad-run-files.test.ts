// Damaged files in a run folder (issue 15): each is an error naming the file, and --resume falls back to the
// newest checkpoint that is intact.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, runCliInProcess } from "../helpers/cli.js";
import { microModelFolder, preparedData, writeConfig } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-badrun-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const noStack = /\n\s+at .*:\d+:\d+|internal error|SyntaxError/;
const out = path.join(tmp, "out");
const checkpoint = (step: number) => path.join(out, "checkpoints", `checkpoint-${step}`);
let config = "";
let finalAdapter: Buffer;

before(async () => {
  config = writeConfig(tmp, "run.yaml", {
    model: microModelFolder(tmp),
    data: { train: preparedData(tmp, { train: 16, val: 0 }), val_fraction: 0 },
    lora: { r: 4 },
    batch_size: 4,
    max_steps: 6,
    save_steps: 2,
    save_total_limit: 3,
    logging_steps: 1,
    output_dir: "out",
  });
  const run = await runCli(["train", config]);
  assert.equal(run.code, 0, run.out);
  finalAdapter = fs.readFileSync(path.join(out, "adapter", "adapter_model.safetensors"));
});

describe("damaged run files", () => {
  it("a corrupt trainer_state.json in the newest checkpoint: --resume names it and continues from the previous one, bit-identically", async () => {
    fs.writeFileSync(path.join(checkpoint(6), "trainer_state.json"), '{"globalStep": 6, "epo');
    const r = await runCli(["train", config, "--resume"]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /checkpoint-6\/trainer_state\.json: malformed JSON/);
    assert.match(r.out, /resuming from .*checkpoint-4/);
    assert.doesNotMatch(r.out, noStack);
    assert.ok(fs.readFileSync(path.join(out, "adapter", "adapter_model.safetensors")).equals(finalAdapter), "the resumed run ended elsewhere");
  });

  it("a checkpoint named explicitly with a damaged state or adapter is an error naming the file", async () => {
    fs.writeFileSync(path.join(checkpoint(4), "trainer_state.json"), JSON.stringify({ globalStep: "four" }));
    const r = await runCliInProcess("train", config, "--resume", checkpoint(4));
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /checkpoint-4\/trainer_state\.json: not a loraforge trainer state \(globalStep/);
    assert.doesNotMatch(r.out, noStack);
    fs.writeFileSync(path.join(checkpoint(2), "adapter", "adapter_model.safetensors"), Buffer.from([1, 2, 3]));
    const s = await runCliInProcess("train", config, "--resume", checkpoint(2));
    assert.notEqual(s.code, 0, s.out);
    assert.match(s.out, /checkpoint-2\/adapter\/adapter_model\.safetensors/);
    assert.doesNotMatch(s.out, noStack);
  });

  it("no intact checkpoint left: --resume says so, listing why each was skipped", async () => {
    fs.truncateSync(path.join(checkpoint(6), "optimizer.safetensors"), 100);
    const r = await runCliInProcess("train", config, "--resume");
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /no intact checkpoint/);
    assert.match(r.out, /checkpoint-6\/optimizer\.safetensors/);
    assert.match(r.out, /checkpoint-4/);
    assert.match(r.out, /checkpoint-2/);
    assert.doesNotMatch(r.out, noStack);
  });

  it("metrics.jsonl: a torn last line (what a crash leaves) is dropped; a malformed line inside is an error naming file and line", async () => {
    const { readMetrics } = await import("../../src/train/report.js");
    const metrics = path.join(out, "metrics.jsonl");
    const lines = fs.readFileSync(metrics, "utf8");
    fs.writeFileSync(metrics, `${lines}{"type":"train","st`);
    assert.equal(readMetrics(out).train.length, 6);
    fs.writeFileSync(metrics, `{"type":"train","step":1,"loss":1}\nnot json\n${lines}`);
    assert.throws(() => readMetrics(out), /metrics\.jsonl, line 2: not valid JSON/);
  });
});
