import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { pretrainedBase } from "../../src/demo/base.js";
import { demoConfigYaml, demoTrainConfig } from "../../src/demo/train-config.js";
import { loadTrainConfig } from "../../src/train/config-load.js";

const EXAMPLE = "examples/json-extraction/config.yaml";

test("examples/json-extraction/config.yaml is the demo's training config on SmolLM2", () => {
  // The example reads the GGUF where `npm run fetch-models` puts it in a checkout.
  const base = pretrainedBase("../../.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf");
  assert.deepEqual(parse(fs.readFileSync(EXAMPLE, "utf8")), demoTrainConfig(base, "../../loraforge-demo"));
  assert.deepEqual(parse(demoConfigYaml(base)), demoTrainConfig(base));
});

test("the example config passes the trainer's schema", () => {
  const config = loadTrainConfig(EXAMPLE);
  assert.equal(config.lora.target_modules, "all-linear");
  assert.ok(config.output_dir.endsWith("loraforge-demo/run"));
});
