import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { microModelFolder, preparedData, writeConfig } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-early-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("train: early stopping on data made to overfit", () => {
  it("keeps the best adapter, from an earlier step than the last, and reports overfitting", async () => {
    const model = microModelFolder(tmp);
    const data = preparedData(tmp, { train: 16, val: 8, seed: 4, overfit: true });
    const config = writeConfig(tmp, "o.yaml", {
      model,
      data: { train: data },
      lora: { r: 8, lora_dropout: 0 },
      learning_rate: 0.005,
      lr_scheduler_type: "constant",
      batch_size: 4,
      max_steps: 200,
      eval_steps: 2,
      save_steps: 2,
      save_total_limit: 1,
      early_stopping_patience: 3,
      logging_steps: 4,
      output_dir: "out",
    });
    const run = await runCli(["train", config]);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /stopped early/);
    const out = path.join(tmp, "out");
    const evals = fs
      .readFileSync(path.join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; step: number; val_loss: number })
      .filter((m) => m.type === "eval");
    const best = evals.reduce((a, b) => (b.val_loss < a.val_loss ? b : a));
    const last = evals.at(-1)!;
    assert.ok(best.step < last.step, `best step ${best.step} should precede the last evaluation ${last.step}`);
    assert.match(run.out, new RegExp(`best validation loss ${best.val_loss.toFixed(4)} at step ${best.step}`));
    assert.match(run.out, /overfitting: validation loss rose while training loss fell/);
    // The saved adapter is the best step's, kept as a checkpoint beside the newest despite save_total_limit 1.
    const bestCheckpoint = path.join(out, "checkpoints", `checkpoint-${best.step}`, "adapter", "adapter_model.safetensors");
    assert.ok(fs.readFileSync(path.join(out, "adapter", "adapter_model.safetensors")).equals(fs.readFileSync(bestCheckpoint)));
    // The report: a PNG chart, and an HTML page that inlines it and marks the best evaluation.
    const png = fs.readFileSync(path.join(out, "loss.png"));
    assert.ok(png.subarray(1, 4).toString() === "PNG" && png.length > 5000);
    const html = fs.readFileSync(path.join(out, "report.html"), "utf8");
    assert.match(html, /<img alt="training and validation loss" src="data:image\/png;base64,iVBOR/);
    assert.match(html, new RegExp(`<tr class="best"><td>${best.step}</td>`));
    assert.match(html, /validation loss rose while training loss fell/);
    assert.deepEqual(
      fs.readdirSync(path.join(out, "checkpoints")).sort(),
      [`checkpoint-${best.step}`, `checkpoint-${last.step}`].sort(),
    );
  });
});
