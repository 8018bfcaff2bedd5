import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { microModelFolder, preparedData, writeConfig } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-fail-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function base(out: string) {
  return {
    model: microModelFolder(tmp),
    data: { train: preparedData(tmp, { train: 16, val: 0 }), val_fraction: 0 },
    lora: { r: 4 },
    batch_size: 4,
    max_steps: 6,
    save_steps: 2,
    logging_steps: 1,
    output_dir: out,
  };
}

const noStack = /\n\s+at .*:\d+:\d+/;

describe("train: failures lose nothing already saved", () => {
  it("a disk that fills during a checkpoint: clear error, earlier checkpoint intact, no torn folder", async () => {
    const config = writeConfig(tmp, "disk.yaml", base("out-disk"));
    // One checkpoint of this run writes about 0.9 MB (73,984 LoRA values in f32: adapter 0.3 MB + AdamW moments
    // 0.6 MB): a 1.4 MB budget lets the first through and fails the second midway.
    const run = await runCli(["train", config], { LORAFORGE_FAULT_ENOSPC_AFTER_BYTES: "1400000" });
    assert.notEqual(run.code, 0);
    assert.match(run.out, /could not save the checkpoint of step 4: ENOSPC: no space left on device/);
    assert.match(run.out, /the earlier checkpoints are intact/);
    assert.doesNotMatch(run.out, noStack);
    const root = path.join(tmp, "out-disk", "checkpoints");
    assert.deepEqual(fs.readdirSync(root), ["checkpoint-2"], "only the complete checkpoint, no temporary folder");
    const state = JSON.parse(fs.readFileSync(path.join(root, "checkpoint-2", "trainer_state.json"), "utf8")) as { globalStep: number };
    assert.equal(state.globalStep, 2);
    // And the run resumes from it once the disk has room again.
    const resumed = await runCli(["train", config, "--resume"]);
    assert.equal(resumed.code, 0, resumed.out);
    assert.match(resumed.out, /reached max_steps at step 6\/6/);
  });

  it("a non-finite loss stops training naming the step; the last good checkpoint stays", async () => {
    const config = writeConfig(tmp, "nan.yaml", { ...base("out-nan"), learning_rate: 1e30, save_steps: 1, max_grad_norm: 0 });
    const run = await runCli(["train", config]);
    assert.notEqual(run.code, 0);
    const step = Number(/training diverged at step (\d+)/.exec(run.out)?.[1]);
    assert.ok(step >= 2, run.out);
    assert.match(run.out, /lower learning_rate/);
    assert.doesNotMatch(run.out, noStack);
    const checkpoints = fs.readdirSync(path.join(tmp, "out-nan", "checkpoints"));
    assert.ok(checkpoints.includes(`checkpoint-${step - 1}`), checkpoints.join());
  });

  it("max_seq_length beyond the model's context and a bad data file are clear errors", async () => {
    const long = await runCli(["train", writeConfig(tmp, "long.yaml", { ...base("out-long"), max_seq_length: 100000 })]);
    assert.notEqual(long.code, 0);
    assert.match(long.out, /max_seq_length 100000 is beyond the model's context \(max_position_embeddings 2048\)/);
    const bad = path.join(tmp, "bad");
    fs.mkdirSync(bad, { recursive: true });
    fs.writeFileSync(path.join(bad, "train.jsonl"), '{"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}\n{"input_ids": [1, 2], "labels": [1]}\n');
    const run = await runCli(["train", writeConfig(tmp, "bad.yaml", { ...base("out-bad"), data: { train: bad } })]);
    assert.notEqual(run.code, 0);
    assert.match(run.out, /train\.jsonl, line 2, labels: expected an array of 2 labels/);
    assert.doesNotMatch(run.out, noStack);
  });
});
