import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { LoraAdapterConfig, LoraWeights } from "../../src/formats/index.js";
import {
  SafetensorsReader,
  adapterConfigJson,
  parseAdapterConfig,
  readAdapterConfig,
  readAdapterFolder,
  readJsonObject,
  renderModelCard,
  tensorSources,
  writeAdapterFolder,
  writeSafetensors,
} from "../../src/formats/index.js";
import { ConfigError, InputError } from "../../src/util/errors.js";
import { bitIdentical, randomTensor } from "../helpers/numeric.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-peft-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** adapter_config.json exactly as PEFT 0.21.2 save_pretrained wrote it (interop/steps/20_model_peft.py). */
const PEFT_FILE = path.join("test", "golden", "peft_adapter", "adapter_config.json");
const PEFT_WRITTEN = readJsonObject(PEFT_FILE);

const base = new Map<string, [number, number]>([
  ["model.layers.0.self_attn.q_proj", [12, 8]],
  ["model.layers.0.mlp.down_proj", [8, 20]],
]);

function weights(r: number): LoraWeights {
  return new Map([
    ["model.layers.0.self_attn.q_proj", { A: randomTensor([r, 8], 1), B: randomTensor([12, r], 2) }],
    ["model.layers.0.mlp.down_proj", { A: randomTensor([r, 20], 3), B: randomTensor([8, r], 4) }],
  ]);
}

const config: LoraAdapterConfig = {
  r: 4,
  loraAlpha: 8,
  loraDropout: 0,
  targetModules: ["q_proj", "down_proj"],
  excludeModules: null,
  useRslora: false,
  initLoraWeights: true,
  baseModelNameOrPath: "org/base",
  revision: null,
  unknownFields: [],
};

describe("adapter_config.json", () => {
  it("reads what PEFT writes", () => {
    const c = readAdapterConfig(PEFT_FILE);
    assert.equal(PEFT_WRITTEN.peft_version, "0.21.2", "the fixture comes from the pinned PEFT");
    assert.equal(c.r, 4);
    assert.equal(c.loraAlpha, 8);
    assert.equal(c.loraDropout, 0);
    assert.equal(c.useRslora, false);
    assert.equal(c.initLoraWeights, false);
    assert.deepEqual([...(c.targetModules as string[])].sort(), ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]);
    assert.equal(c.baseModelNameOrPath, PEFT_WRITTEN.base_model_name_or_path);
    assert.deepEqual(c.unknownFields, [], "a field PEFT 0.21.2 writes that loraforge does not know");
  });

  it("fills PEFT's defaults from a minimal config and keeps regex / all-linear targets", () => {
    const c = parseAdapterConfig({ peft_type: "LORA" }, "a.json");
    assert.deepEqual([c.r, c.loraAlpha, c.loraDropout, c.useRslora, c.initLoraWeights], [8, 8, 0, false, true]);
    assert.deepEqual(c.targetModules, ["q_proj", "v_proj"]);
    assert.equal(parseAdapterConfig({ peft_type: "LORA", target_modules: "all-linear" }, "a.json").targetModules, "all-linear");
    assert.deepEqual(parseAdapterConfig({ peft_type: "LORA", future_knob: 3 }, "a.json").unknownFields, ["future_knob"]);
  });

  it("refuses every setting it does not implement, naming the field", () => {
    const refused: Array<[string, unknown]> = [
      ["use_dora", true],
      ["modules_to_save", ["lm_head"]],
      ["bias", "all"],
      ["rank_pattern", { q_proj: 8 }],
      ["alpha_pattern", { q_proj: 8 }],
      ["layers_to_transform", [0, 1]],
      ["layers_to_transform", 0],
      ["fan_in_fan_out", true],
      ["lora_bias", true],
      ["init_lora_weights", "pissa"],
      ["peft_type", "IA3"],
      ["task_type", "SEQ_CLS"],
      ["r", 0],
      ["lora_dropout", 1.5],
      ["target_modules", 5],
    ];
    for (const [field, value] of refused) {
      assert.throws(
        () => parseAdapterConfig({ ...PEFT_WRITTEN, [field]: value }, "cfg.json"),
        (e: unknown) => e instanceof ConfigError && e.message.startsWith(`cfg.json: ${field} = ${JSON.stringify(value)}`),
        `${field} = ${JSON.stringify(value)}`,
      );
    }
  });

  it("writes every PEFT field, sorted, and reads back the same config", () => {
    const text = adapterConfigJson(config);
    const json = JSON.parse(text);
    assert.deepEqual(Object.keys(json), Object.keys(json).sort());
    assert.equal(json.peft_type, "LORA");
    assert.equal(json.task_type, "CAUSAL_LM");
    assert.equal(json.inference_mode, true);
    assert.equal(json.bias, "none");
    assert.deepEqual(json.rank_pattern, {});
    assert.deepEqual(parseAdapterConfig(json, "x"), config);
  });
});

describe("adapter folders", () => {
  it("save → load gives identical tensors under PEFT's keys and shapes", () => {
    const dir = path.join(tmp, "adapter");
    const w = weights(4);
    writeAdapterFolder(dir, { config, weights: w });
    assert.deepEqual(fs.readdirSync(dir).sort(), ["README.md", "adapter_config.json", "adapter_model.safetensors"]);
    const reader = SafetensorsReader.open(path.join(dir, "adapter_model.safetensors"));
    assert.deepEqual(reader.names().sort(), [
      "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight",
      "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight",
      "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
      "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
    ]);
    assert.deepEqual(reader.metadata, { format: "pt" });
    reader.close();
    const back = readAdapterFolder(dir, { baseShapes: base });
    assert.deepEqual(back.config, config);
    for (const [module, { A, B }] of w) {
      assert.ok(bitIdentical(back.weights.get(module)!.A, A));
      assert.ok(bitIdentical(back.weights.get(module)!.B, B));
    }
    assert.equal(readAdapterFolder(dir, { dtype: "bf16" }).weights.get("model.layers.0.mlp.down_proj")!.A.dtype, "bf16");
  });

  it("refuses an adapter for another base, naming the module", () => {
    const dir = path.join(tmp, "other-base");
    writeAdapterFolder(dir, { config, weights: weights(4) });
    const smaller = new Map(base);
    smaller.set("model.layers.0.self_attn.q_proj", [12, 16]);
    assert.throws(
      () => readAdapterFolder(dir, { baseShapes: smaller }),
      (e: unknown) => e instanceof InputError && /adapter_model\.safetensors: model\.layers\.0\.self_attn\.q_proj: .* do not fit the base layer \[12, 16\]/.test(e.message),
    );
    assert.throws(() => readAdapterFolder(dir, { baseShapes: new Map() }), /not a linear layer of the base model/);
  });

  it("refuses a rank that disagrees with r, DoRA tensors, unpaired factors and a missing config", () => {
    const dir = path.join(tmp, "bad");
    writeAdapterFolder(dir, { config: { ...config, r: 8 }, weights: weights(4) });
    assert.throws(() => readAdapterFolder(dir), /lora_A has rank 4 but adapter_config\.json says r = 8/);
    const file = path.join(dir, "adapter_model.safetensors");
    const key = "base_model.model.model.layers.0.self_attn.q_proj";
    writeSafetensors(file, tensorSources([[`${key}.lora_magnitude_vector`, randomTensor([12], 1)]]));
    assert.throws(() => readAdapterFolder(dir), /DoRA magnitudes are not supported/);
    writeSafetensors(file, tensorSources([[`${key}.lora_A.weight`, randomTensor([8, 8], 1)]]));
    assert.throws(() => readAdapterFolder(dir), /has lora_A but no lora_B/);
    fs.rmSync(path.join(dir, "adapter_config.json"));
    assert.throws(() => readAdapterFolder(dir), /adapter_config\.json: file not found/);
  });
});

describe("model card", () => {
  it("has PEFT's front matter for an adapter", () => {
    const card = renderModelCard({ relation: "adapter", baseModel: "Qwen/Qwen2.5-0.5B", title: "t", frameworkVersions: { loraforge: "0.1.0" } });
    const front = card.split("---\n")[1];
    assert.match(front, /^base_model: Qwen\/Qwen2\.5-0\.5B$/m);
    assert.match(front, /^library_name: peft$/m);
    assert.match(front, /^base_model_relation: adapter$/m);
    assert.match(front, /^pipeline_tag: text-generation$/m);
    assert.match(front, /- base_model:adapter:Qwen\/Qwen2\.5-0\.5B\n {2}- lora\n {2}- peft\n {2}- transformers/);
    assert.match(card, /### Framework versions\n\n- loraforge 0\.1\.0\n$/);
  });
});
