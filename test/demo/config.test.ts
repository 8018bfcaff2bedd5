import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { demoConfigYaml, demoTrainConfig } from "../../src/demo/train-config.js";
import { loadTrainConfig } from "../../src/train/config-load.js";

const EXAMPLE = "examples/json-extraction/config.yaml";

test("examples/json-extraction/config.yaml is the demo's training config", () => {
  assert.deepEqual(parse(fs.readFileSync(EXAMPLE, "utf8")), demoTrainConfig("../../loraforge-demo"));
  assert.deepEqual(parse(demoConfigYaml()), demoTrainConfig());
});

test("the example config passes the trainer's schema", () => {
  const config = loadTrainConfig(EXAMPLE);
  assert.equal(config.lora.target_modules, "all-linear");
  assert.ok(config.output_dir.endsWith("loraforge-demo/run"));
});
