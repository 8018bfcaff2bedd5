// Fuzzing the config readers: adapter_config.json (PEFT) and the training config (YAML/JSON) (harness.ts).
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { adapterConfigJson, readAdapterConfig } from "../../src/formats/index.js";
import { loraConfig } from "../../src/lora/index.js";
import { loadTrainConfig } from "../../src/train/index.js";
import { fuzz, mutatedText, ownErrorOnly, scratchDir } from "./harness.js";

const dir = scratchDir("configs");

/** JSON objects that reuse the real keys with values of any type, so the field checks are reached. */
function objectsWithKeys(keys: string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 6 })), fc.oneof(fc.jsonValue(), fc.constant(undefined)), { maxKeys: 8 });
}

describe("config readers under fuzzing", () => {
  it("adapter_config.json: any text parses or raises an error naming the file", { timeout: 300_000 }, async (t) => {
    const file = path.join(dir, "adapter_config.json");
    const sample = adapterConfigJson(loraConfig({ r: 8, loraAlpha: 16, targetModules: ["q_proj", "v_proj"] }));
    const keys = Object.keys(JSON.parse(sample) as object);
    const input = fc.oneof(mutatedText(sample), objectsWithKeys(keys).map((o) => JSON.stringify({ peft_type: "LORA", ...o })));
    await fuzz(t, "adapter_config.json", input, async (text) => {
      fs.writeFileSync(file, text);
      await ownErrorOnly(() => readAdapterConfig(file), file);
    });
  });

  it("training config: any YAML or JSON text parses or raises a ConfigError naming the file", { timeout: 300_000 }, async (t) => {
    const yamlSample = "model: models/tiny\ndata:\n  train: chat.jsonl\n  val_fraction: 0.1\nlora: { r: 16, lora_alpha: 32, target_modules: [q_proj, v_proj] }\nlearning_rate: 2.0e-4\nmax_steps: 10\n";
    const keys = ["model", "data", "lora", "learning_rate", "max_steps", "batch_size", "max_length", "lora_r", "output_dir", "seed", "packing"];
    const input = fc.oneof(
      mutatedText(yamlSample).map((text) => ({ ext: "yaml", text })),
      objectsWithKeys(keys).map((o) => ({ ext: "json", text: JSON.stringify({ model: "m", data: "d.jsonl", ...o }) })),
      mutatedText(JSON.stringify({ model: "m", data: { train: "a.jsonl" }, lora: { r: 4 } })).map((text) => ({ ext: "json", text })),
    );
    await fuzz(t, "training config", input, async ({ ext, text }) => {
      const file = path.join(dir, `config.${ext}`);
      fs.writeFileSync(file, text);
      await ownErrorOnly(() => loadTrainConfig(file), file);
    });
  });
});
