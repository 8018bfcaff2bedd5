import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CheckpointReader, readHfFolder, shardFileName, tensorSources, writeCheckpoint } from "../../src/formats/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { InputError } from "../../src/util/errors.js";
import { bitIdentical, randomTensor } from "../helpers/numeric.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-ckpt-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tensors: Array<[string, Tensor]> = [
  ["model.embed_tokens.weight", randomTensor([16, 8], 1, "bf16")], // 256 bytes
  ["model.layers.0.w", randomTensor([8, 8], 2, "bf16")], // 128
  ["model.layers.0.norm", randomTensor([8], 3)], // 32
  ["model.layers.1.w", randomTensor([8, 8], 4, "bf16")], // 128
  ["model.norm.weight", randomTensor([8], 5)], // 32
];

function folder(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  return dir;
}

function roundTrip(dir: string): void {
  const r = CheckpointReader.open(dir);
  try {
    assert.deepEqual(new Set(r.names()), new Set(tensors.map(([n]) => n)));
    for (const [name, t] of tensors) assert.ok(bitIdentical(r.read(name), t), name);
  } finally {
    r.close();
  }
}

describe("checkpoints", () => {
  it("one file and no index when everything fits", () => {
    const dir = folder("single");
    assert.deepEqual(writeCheckpoint(dir, tensorSources(tensors)), ["model.safetensors"]);
    assert.deepEqual(fs.readdirSync(dir), ["model.safetensors"]);
    roundTrip(dir);
  });

  it("shards greedily in order with HF names and an index; a big tensor gets its own shard", () => {
    const dir = folder("sharded");
    const files = writeCheckpoint(dir, tensorSources(tensors), { maxShardBytes: 200 });
    assert.deepEqual(files, [
      "model-00001-of-00003.safetensors",
      "model-00002-of-00003.safetensors",
      "model-00003-of-00003.safetensors",
      "model.safetensors.index.json",
    ]);
    const index = JSON.parse(fs.readFileSync(path.join(dir, "model.safetensors.index.json"), "utf8"));
    assert.equal(index.metadata.total_size, 576);
    assert.deepEqual(Object.keys(index.weight_map), [...tensors.map(([n]) => n)].sort());
    assert.equal(index.weight_map["model.embed_tokens.weight"], "model-00001-of-00003.safetensors");
    assert.equal(index.weight_map["model.layers.0.norm"], "model-00002-of-00003.safetensors");
    assert.equal(index.weight_map["model.norm.weight"], "model-00003-of-00003.safetensors");
    roundTrip(dir);
    assert.equal(shardFileName("model", 0, 1), "model.safetensors");
  });

  it("refuses an index that disagrees with its shards", () => {
    const dir = folder("bad-index");
    writeCheckpoint(dir, tensorSources(tensors), { maxShardBytes: 200 });
    const indexFile = path.join(dir, "model.safetensors.index.json");
    const index = JSON.parse(fs.readFileSync(indexFile, "utf8"));
    const check = (mutate: (map: Record<string, string>) => void, pattern: RegExp) => {
      const map = { ...index.weight_map };
      mutate(map);
      fs.writeFileSync(indexFile, JSON.stringify({ ...index, weight_map: map }));
      assert.throws(() => CheckpointReader.open(dir), (e: unknown) => e instanceof InputError && e.message.includes(indexFile) && pattern.test(e.message));
    };
    check((m) => (m["model.norm.weight"] = "model-00001-of-00003.safetensors"), /does not hold it/);
    check((m) => delete m["model.layers.1.w"], /which weight_map does not list there/);
    check((m) => (m["model.norm.weight"] = "model-00009-of-00009.safetensors"), /does not exist/);
    check((m) => (m["model.norm.weight"] = "../x.safetensors"), /not a shard file name/);
    fs.writeFileSync(indexFile, "{ not json");
    assert.throws(() => CheckpointReader.open(dir), /malformed JSON/);
  });

  it("a folder without weights", () => {
    assert.throws(() => CheckpointReader.open(folder("empty")), /no model\.safetensors and no model\.safetensors\.index\.json/);
  });
});

describe("HF folders", () => {
  it("reads config.json, generation_config.json's eos list and finds the weights", () => {
    const dir = folder("hf");
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "llama" }));
    fs.writeFileSync(path.join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: [128001, 128009] }));
    writeCheckpoint(dir, tensorSources(tensors), { maxShardBytes: 200 });
    const f = readHfFolder(dir);
    assert.deepEqual(f.config, { model_type: "llama" });
    assert.deepEqual(f.generationEosIds, [128001, 128009]);
    assert.equal(f.sharded, true);
    assert.equal(f.weightsFile, path.join(dir, "model.safetensors.index.json"));
  });

  it("missing or malformed config.json, bad eos ids", () => {
    const dir = folder("hf-bad");
    assert.throws(() => readHfFolder(dir), (e: unknown) => e instanceof InputError && /config\.json is missing/.test(e.message));
    fs.writeFileSync(path.join(dir, "config.json"), '{"model_type": "llama",}');
    assert.throws(() => readHfFolder(dir), (e: unknown) => e instanceof InputError && e.message.includes("config.json") && /malformed JSON/.test(e.message));
    fs.writeFileSync(path.join(dir, "config.json"), "[]");
    assert.throws(() => readHfFolder(dir), /expected a JSON object/);
    fs.writeFileSync(path.join(dir, "config.json"), "{}");
    fs.writeFileSync(path.join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: "</s>" }));
    assert.throws(() => readHfFolder(dir), /generation_config\.json, eos_token_id: eos_token_id "<\/s>" is not a token id/);
    assert.throws(() => readHfFolder(path.join(tmp, "nope")), /model folder not found/);
  });
});
