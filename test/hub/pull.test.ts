import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { hubContext, pullModel, resolveModelReference } from "../../src/hub/index.js";
import { LoraforgeError } from "../../src/util/errors.js";
import { MockHub, TOKEN, gitBlobId, sha256 } from "./mock-hub.js";

const hub = await new MockHub().start();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-pull-"));
after(async () => {
  await hub.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const config = JSON.stringify({ architectures: ["LlamaForCausalLM"], model_type: "llama" });
const shard1 = randomBytes(300_000);
const shard2 = randomBytes(200_001);
const index = JSON.stringify({ metadata: {}, weight_map: { "a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors" } });
let commit = "";
let cache = "";
let home = "";

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HF_ENDPOINT: hub.url, HF_HOME: home, ...extra };
}

before(() => {
  commit = hub.addRepo("org/sharded", {
    "config.json": config,
    "tokenizer.json": "{}",
    "README.md": "---\nlicense: apache-2.0\n---\n# m\n",
    "model.safetensors.index.json": index,
    "model-00001-of-00002.safetensors": shard1,
    "model-00002-of-00002.safetensors": shard2,
    "pytorch_model.bin": randomBytes(1000),
    "consolidated.safetensors": randomBytes(1000),
    "onnx/model.onnx": randomBytes(100),
  });
  hub.addRepo("org/gguf-only", { "m.Q4_0.gguf": randomBytes(5000), "m.Q8_0.gguf": randomBytes(9000), "README.md": "# g\n" });
  hub.addRepo("org/an-adapter", { "adapter_config.json": "{}", "adapter_model.safetensors": randomBytes(800), "README.md": "# a\n", "training_args.bin": randomBytes(50) });
  hub.addRepo("org/bin-only", { "config.json": config, "pytorch_model.bin": randomBytes(100) });
  hub.addRepo("org/private", { "config.json": config, "model.safetensors": randomBytes(10) }, { private: true });
  hub.addRepo("org/gated", { "config.json": config, "model.safetensors": randomBytes(10) }, { gated: true });
});

beforeEach(() => {
  home = fs.mkdtempSync(path.join(tmp, "home-"));
  cache = path.join(home, "hub");
  hub.requests.length = 0;
  hub.failAll = undefined;
});

async function rejects(p: Promise<unknown>, message: RegExp, hint?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof LoraforgeError, `a LoraforgeError, got ${String(err)}`);
    assert.match(err.message, message);
    if (hint) assert.match(err.hint ?? "", hint);
    return true;
  });
}

describe("pull: the Hugging Face cache layout", () => {
  it("downloads only what a model needs into blobs/ + snapshots/<commit> symlinks + refs/main, as Python lays it out", async () => {
    const result = await pullModel("org/sharded", { context: hubContext({ env: env() }) });
    const repoDir = path.join(cache, "models--org--sharded");
    assert.equal(result.snapshot, path.join(repoDir, "snapshots", commit));
    assert.equal(fs.readFileSync(path.join(repoDir, "refs", "main"), "utf8"), commit);
    const names = fs.readdirSync(result.snapshot).sort();
    assert.deepEqual(names, ["README.md", "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json"]);
    // LFS files are named by their sha256, regular files by their git blob id; links are relative.
    const link = path.join(result.snapshot, "model-00001-of-00002.safetensors");
    assert.equal(fs.readlinkSync(link), path.join("..", "..", "blobs", sha256(shard1)));
    assert.ok(fs.readFileSync(link).equals(shard1));
    assert.equal(fs.readlinkSync(path.join(result.snapshot, "config.json")), path.join("..", "..", "blobs", gitBlobId(Buffer.from(config))));
    assert.equal(fs.readdirSync(path.join(repoDir, "blobs")).length, 6, "no .bin, no consolidated.safetensors, no onnx/");
    assert.equal(hub.requests.filter((r) => r.url.includes("pytorch_model.bin") || r.url.includes("consolidated")).length, 0);
  });

  it("a second pull finds everything in the cache and downloads nothing", async () => {
    await pullModel("org/sharded", { context: hubContext({ env: env() }) });
    const before = hub.count("/lfs-cdn/") + hub.count("/org/sharded/resolve/");
    await pullModel("org/sharded", { context: hubContext({ env: env() }) });
    assert.equal(hub.count("/lfs-cdn/") + hub.count("/org/sharded/resolve/"), before);
  });

  it("a connection dropped half-way through a file resumes with a Range request from where it stopped", async () => {
    hub.dropOnce.add("model-00001-of-00002.safetensors");
    const result = await pullModel("org/sharded", { context: hubContext({ env: env() }) });
    assert.ok(fs.readFileSync(path.join(result.snapshot, "model-00001-of-00002.safetensors")).equals(shard1));
    const ranges = hub.requests.filter((r) => r.url.startsWith(`/lfs-cdn/${sha256(shard1)}`)).map((r) => r.range);
    const resumed = ranges.find((r) => r && r !== "bytes=0-0" && !r.startsWith("bytes=0-"));
    assert.ok(resumed, `a resuming range request, got ${ranges.join(", ")}`);
    const from = Number(/^bytes=(\d+)-/.exec(resumed)![1]);
    assert.ok(from > 0 && from < shard1.length, `resumed from ${from}`);
  });

  it("a partial file left by an earlier run is continued, not restarted; a corrupt one is caught by its hash", async () => {
    const blobs = path.join(cache, "models--org--sharded", "blobs");
    fs.mkdirSync(blobs, { recursive: true });
    fs.writeFileSync(path.join(blobs, `${sha256(shard2)}.incomplete`), shard2.subarray(0, 150_000));
    const result = await pullModel("org/sharded", { context: hubContext({ env: env() }) });
    assert.ok(fs.readFileSync(path.join(result.snapshot, "model-00002-of-00002.safetensors")).equals(shard2));
    assert.ok(hub.requests.some((r) => r.url.startsWith(`/lfs-cdn/${sha256(shard2)}`) && r.range === "bytes=150000-200000"));

    fs.rmSync(cache, { recursive: true });
    fs.mkdirSync(blobs, { recursive: true });
    fs.writeFileSync(path.join(blobs, `${sha256(shard2)}.incomplete`), randomBytes(150_000));
    await rejects(pullModel("org/sharded", { context: hubContext({ env: env() }) }), /model-00002-of-00002.safetensors downloaded with sha256/, /again/);
    assert.ok(!fs.existsSync(path.join(blobs, `${sha256(shard2)}.incomplete`)), "the corrupt partial file is deleted");
  });

  it("--gguf-file fetches that one GGUF; a GGUF repo without it says which files to choose from", async () => {
    const ctx = hubContext({ env: env() });
    const file = await resolveModelReference("org/gguf-only", { context: ctx, ggufFile: "m.Q8_0.gguf" });
    assert.equal(path.basename(file), "m.Q8_0.gguf");
    assert.equal(fs.statSync(file).size, 9000);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["m.Q8_0.gguf"]);
    await rejects(pullModel("org/gguf-only", { context: ctx }), /GGUF files/, /--gguf-file with one of: m\.Q4_0\.gguf, m\.Q8_0\.gguf/);
    await rejects(pullModel("org/bin-only", { context: ctx }), /only PyTorch pickle weights/);
  });

  it("a PEFT adapter repo: its two files and the card, not the trainer's pickles", async () => {
    const result = await pullModel("org/an-adapter", { context: hubContext({ env: env() }) });
    assert.deepEqual(result.files.map((f) => f.path).sort(), ["README.md", "adapter_config.json", "adapter_model.safetensors"]);
  });

  it("--include takes exactly the files its globs match (fnmatch: * crosses /)", async () => {
    const result = await pullModel("org/sharded", { context: hubContext({ env: env() }), include: ["*.json", "onnx/*"] });
    assert.deepEqual(result.files.map((f) => f.path).sort(), ["config.json", "model.safetensors.index.json", "onnx/model.onnx", "tokenizer.json"]);
  });

  it("revisions: @commit and @branch resolve to the same snapshot; refs/<branch> is written", async () => {
    const ctx = hubContext({ env: env() });
    assert.equal(await resolveModelReference(`org/sharded@${commit}`, { context: ctx }), path.join(cache, "models--org--sharded", "snapshots", commit));
    await rejects(resolveModelReference("org/sharded@nope", { context: ctx }), /has no revision nope/);
  });
});

describe("resolveModelReference: local names pass through; offline never touches the network", () => {
  it("local paths, ollama: names and .gguf paths come back unchanged without a request", async () => {
    const ctx = hubContext({ env: env() });
    for (const spec of [tmp, "ollama:smollm2", "models/x.gguf"]) assert.equal(await resolveModelReference(spec, { context: ctx }), spec);
    assert.equal(hub.count(), 0);
  });

  it("HF_HUB_OFFLINE=1 resolves from the cache with zero requests, and says how to fix a cache miss", async () => {
    await pullModel("org/sharded", { context: hubContext({ env: env() }) });
    hub.requests.length = 0;
    const offline = hubContext({ env: env({ HF_HUB_OFFLINE: "1" }) });
    assert.equal(await resolveModelReference("org/sharded", { context: offline }), path.join(cache, "models--org--sharded", "snapshots", commit));
    await rejects(resolveModelReference("org/other", { context: offline }), /HF_HUB_OFFLINE is set and org\/other@main is not in the Hugging Face cache/, /loraforge pull org\/other/);
    await rejects(resolveModelReference("org/gguf-only", { context: offline, ggufFile: "m.Q4_0.gguf" }), /not in the Hugging Face cache/, /--gguf-file m\.Q4_0\.gguf/);
    assert.equal(hub.count(), 0, "offline: not one request");
  });

  it("an unreachable Hub falls back to the cached snapshot, with a note", async () => {
    await pullModel("org/sharded", { context: hubContext({ env: env() }) });
    hub.failAll = "drop";
    const notes: string[] = [];
    const dir = await resolveModelReference("org/sharded", { context: hubContext({ env: env() }), onNote: (n) => notes.push(n) });
    assert.equal(dir, path.join(cache, "models--org--sharded", "snapshots", commit));
    assert.match(notes[0], /network failure.*using the cached copy/);
  });
});

describe("pull: errors say what to do", () => {
  it("404: a missing repo names the id and the page", async () => {
    await rejects(pullModel("org/missing", { context: hubContext({ env: env({ HF_TOKEN: TOKEN }) }) }), /org\/missing was not found on http:\/\/127\.0\.0\.1:\d+ \(404\)/, /check the id/);
  });

  it("401: no token for a private repo says how to log in; the token file of `huggingface-cli login` is used", async () => {
    await rejects(pullModel("org/private", { context: hubContext({ env: env() }) }), /needs a token \(401\)/, /HF_TOKEN.*huggingface-cli login/);
    fs.writeFileSync(path.join(home, "token"), `${TOKEN}\n`);
    const result = await pullModel("org/private", { context: hubContext({ env: env() }) });
    assert.ok(fs.existsSync(path.join(result.snapshot, "model.safetensors")));
  });

  it("403 gated: says to accept the conditions on the model's page", async () => {
    await rejects(pullModel("org/gated", { context: hubContext({ env: env({ HF_TOKEN: TOKEN }) }) }), /org\/gated is a gated model/, /accept its conditions/);
    await rejects(pullModel("org/gated", { context: hubContext({ env: env() }) }), /gated model/, /accept its conditions.*HF_TOKEN/);
  });

  it("5xx and a refused connection: what failed and to run again; the token is never in a message", async () => {
    hub.failAll = 503;
    await rejects(pullModel("org/sharded", { context: hubContext({ env: env({ HF_TOKEN: TOKEN }) }) }), /the Hub failed to download org\/sharded \(503/, /run the command again later/);
    hub.failAll = "drop";
    await assert.rejects(pullModel("org/sharded", { context: hubContext({ env: env({ HF_TOKEN: TOKEN }) }) }), (err: LoraforgeError) => {
      assert.match(err.message, /network failure talking to http:\/\/127\.0\.0\.1/);
      assert.match(err.hint ?? "", /HF_HUB_OFFLINE=1/);
      assert.ok(!`${err.message}${err.hint}`.includes(TOKEN));
      return true;
    });
  });

  it("a token that does not start with hf_ is refused naming where it came from, not what it is", () => {
    assert.throws(() => hubContext({ env: env({ HF_TOKEN: "secret123" }) }), (err: LoraforgeError) => /HF_TOKEN does not start with "hf_"/.test(err.message) && !err.message.includes("secret123"));
  });
});
