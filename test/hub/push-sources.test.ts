import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { baseModelHubId, hubIdFromCachePath } from "../../src/formats/index.js";
import { hubContext, pushToHub } from "../../src/hub/index.js";
import { LoraforgeError } from "../../src/util/errors.js";
import { buildLoraAdapter, loraConfig, saveAdapter } from "../../src/lora/index.js";
import { loadModel, planInitModel, writeInitModel } from "../../src/model/index.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-push-src-"));
// Dry runs only: every context counts its requests, and the count must stay 0.
let requests = 0;
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  assert.equal(requests, 0, "a dry run made a request");
});
const offlineContext = () => ({ ...hubContext({ env: { HF_HOME: path.join(tmp, "home") } }), fetch: (() => (requests++, Promise.reject(new Error("network used")))) as typeof fetch });
const meta = (card: string) => parse(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]) as Record<string, unknown>;
const commit = "0123456789abcdef0123456789abcdef01234567";

describe("the base model's Hub id: never a local path", () => {
  it("a cache snapshot path gives its id; an id stays; a local folder or absolute path gives nothing", () => {
    const snap = path.join(tmp, "hub", "models--Qwen--Qwen2.5-0.5B", "snapshots", commit);
    assert.deepEqual(hubIdFromCachePath(path.join(snap, "config.json")), { repo: "Qwen/Qwen2.5-0.5B", commit });
    assert.equal(baseModelHubId(snap), "Qwen/Qwen2.5-0.5B");
    assert.equal(baseModelHubId("Qwen/Qwen2.5-0.5B"), "Qwen/Qwen2.5-0.5B");
    assert.equal(baseModelHubId("/home/me/models/qwen"), undefined);
    assert.equal(baseModelHubId(tmp), undefined);
    assert.equal(baseModelHubId("./models/x"), undefined);
  });

  it("an adapter saved with a local base path gets a card without base_model (it used to write the path)", () => {
    const model = path.join(tmp, "model");
    writeInitModel(model, planInitModel({ preset: "tiny", vocabSize: 64, seed: 1 }));
    const dir = path.join(tmp, "adapter");
    saveAdapter(buildLoraAdapter(loadModel(model), loraConfig({ r: 4, targetModules: ["q_proj"] }), { seed: 1 }), dir, { baseModelNameOrPath: model });
    const card = fs.readFileSync(path.join(dir, "README.md"), "utf8");
    assert.ok(!card.includes(model));
    assert.equal(meta(card).base_model, undefined);
  });
});

describe("push --dry-run of each kind of source", () => {
  it("an adapter folder with a local base: --base-model gives the id; without it the plan says so", async () => {
    const dir = path.join(tmp, "adapter");
    const without = await pushToHub(dir, { repo: "me/a", dryRun: true, context: offlineContext() });
    assert.ok(without.plan.notes.some((n) => /pass --base-model ID/.test(n)));
    assert.equal(meta(without.plan.card).base_model, undefined);
    const withId = await pushToHub(dir, { repo: "me/a", dryRun: true, baseModel: "HuggingFaceTB/SmolLM2-135M", context: offlineContext() });
    assert.equal(meta(withId.plan.card).base_model, "HuggingFaceTB/SmolLM2-135M");
    assert.deepEqual(withId.plan.files.map((f) => f.path), ["adapter_config.json", "adapter_model.safetensors", "README.md"]);
    assert.ok(withId.plan.check, "push runs the preflight");
  });

  it("a merged model folder: every file but the old README, relation finetune, library transformers", async () => {
    const model = path.join(tmp, "model");
    const { plan } = await pushToHub(model, { repo: "me/merged", dryRun: true, baseModel: "HuggingFaceTB/SmolLM2-135M", context: offlineContext() });
    assert.equal(plan.kind, "merged");
    const expected = fs.readdirSync(model).filter((f) => f !== "README.md").sort();
    assert.deepEqual(plan.files.map((f) => f.path), [...expected, "README.md"]);
    const m = meta(plan.card);
    assert.deepEqual([m.base_model_relation, m.library_name], ["finetune", "transformers"]);
    assert.match(plan.card, /AutoModelForCausalLM\.from_pretrained\("me\/merged"\)/);
  });

  it("a GGUF file: relation quantized, tag gguf, llama.cpp and Ollama usage", async () => {
    const gguf = path.join(tmp, "model-Q8_0.gguf");
    fs.writeFileSync(gguf, Buffer.from("GGUF...."));
    const { plan } = await pushToHub(gguf, { repo: "me/m-gguf", dryRun: true, baseModel: "HuggingFaceTB/SmolLM2-135M", context: offlineContext() });
    assert.deepEqual(plan.files.map((f) => [f.path, f.size]), [["model-Q8_0.gguf", 8], ["README.md", Buffer.byteLength(plan.card)]]);
    const m = meta(plan.card);
    assert.equal(m.base_model_relation, "quantized");
    assert.ok((m.tags as string[]).includes("gguf"));
    assert.match(plan.card, /llama-cli --hf-repo me\/m-gguf --hf-file model-Q8_0\.gguf/);
    assert.match(plan.card, /ollama run hf\.co\/me\/m-gguf/);
  });

  it("a real push with HF_HUB_OFFLINE=1 is refused before any request, pointing at --dry-run", async () => {
    const ctx = { ...hubContext({ env: { HF_HOME: path.join(tmp, "home"), HF_HUB_OFFLINE: "1" } }), fetch: (() => (requests++, Promise.reject(new Error("network used")))) as typeof fetch };
    await assert.rejects(pushToHub(path.join(tmp, "adapter"), { repo: "me/a", context: ctx }), (err: Error & { hint?: string }) => /HF_HUB_OFFLINE is set: push needs the network/.test(err.message) && /--dry-run/.test(err.hint ?? ""));
  });

  it("anything else is refused naming the path; a bad --repo or --base-model names the flag", async () => {
    await assert.rejects(pushToHub(path.join(tmp, "nope"), { repo: "me/x", dryRun: true, context: offlineContext() }), /nope: no such file or folder/);
    fs.mkdirSync(path.join(tmp, "empty"));
    await assert.rejects(pushToHub(path.join(tmp, "empty"), { repo: "me/x", dryRun: true, context: offlineContext() }), /not a loraforge run folder, a PEFT adapter folder/);
    await assert.rejects(pushToHub(path.join(tmp, "adapter"), { repo: "nope", dryRun: true, context: offlineContext() }), /--repo nope: expected owner\/name/);
    const broken = path.join(tmp, "broken-adapter");
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, "adapter_config.json"), "{ not json");
    await assert.rejects(pushToHub(broken, { repo: "me/x", dryRun: true, context: offlineContext() }), (err: Error) => err instanceof LoraforgeError && /adapter_config\.json/.test(err.message));
    await assert.rejects(pushToHub(path.join(tmp, "adapter"), { repo: "me/x", baseModel: "/abs/path", dryRun: true, context: offlineContext() }), /--base-model \/abs\/path: expected a Hub id/);
  });
});
