import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { referenceBackend } from "../../src/tensor/index.js";
import { generate } from "../../src/model/index.js";
import { pickToken } from "../../src/model/sampling.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import { Rng } from "../../src/util/rng.js";
import { microConfig, microModel, randomizeAdapter } from "./helpers/micro-model.js";

const prompt = [3, 17, 42, 8, 8, 21];

describe("generation", () => {
  it("greedy with a KV cache equals greedy recomputing the whole sequence (qwen3, with an adapter)", () => {
    const model = microModel(microConfig("qwen3"), referenceBackend, 4);
    const adapter = buildLoraAdapter(model, loraConfig({ targetModules: "all-linear", r: 2 }), { dtype: "f64" });
    randomizeAdapter(adapter.parameters(), 2);
    attachAdapter(model, adapter);
    const cached = generate(model, prompt, { maxNewTokens: 12, eosTokenIds: [] });
    const recomputed = generate(model, prompt, { maxNewTokens: 12, eosTokenIds: [], useCache: false });
    assert.deepEqual(cached.tokens, recomputed.tokens);
    assert.equal(cached.tokens.length, 12);
    assert.equal(cached.finishReason, "length");
  });

  it("sampling with a seed replays; the stream callback sees every token", () => {
    const model = microModel(microConfig("llama"), referenceBackend, 4);
    const options = { maxNewTokens: 8, eosTokenIds: [], temperature: 1.3, topK: 20, topP: 0.9, minP: 0.05, seed: 5 };
    const streamed: number[] = [];
    const a = generate(model, prompt, { ...options, onToken: (id) => streamed.push(id) });
    assert.deepEqual(generate(model, prompt, options).tokens, a.tokens);
    assert.deepEqual(streamed, a.tokens);
  });

  it("stops on an eos id and on a stop string", () => {
    const model = microModel(microConfig("llama"), referenceBackend, 4);
    const free = generate(model, prompt, { maxNewTokens: 6, eosTokenIds: [] }).tokens;
    const byEos = generate(model, prompt, { maxNewTokens: 6, eosTokenIds: [free[2]] });
    assert.equal(byEos.finishReason, "eos");
    assert.deepEqual(byEos.tokens, free.slice(0, free.indexOf(free[2]) + 1));
    const decode = (ids: number[]) => ids.map((id) => `<${id}>`).join("");
    const stop = `<${free[1]}>`;
    const byString = generate(model, prompt, { maxNewTokens: 6, eosTokenIds: [], stopStrings: [stop], decode });
    assert.equal(byString.finishReason, "stop");
    assert.equal(byString.text, decode(free).slice(0, decode(free).indexOf(stop)));
  });

  it("sampling rules: top-k 1 and min-p 1 are greedy; the repetition penalty follows transformers", () => {
    const logits = [0.5, 2, -1, 1.9];
    const rng = new Rng(1);
    for (let i = 0; i < 20; i++) {
      assert.equal(pickToken(logits, [], { temperature: 1, topK: 1 }, rng), 1);
      assert.equal(pickToken(logits, [], { temperature: 1, minP: 1 }, rng), 1);
    }
    // 2 / 1.1 = 1.818 < 1.9: the penalized token 1 loses to token 3; negative logits are multiplied.
    assert.equal(pickToken(logits, [1], { repetitionPenalty: 1.1 }, rng), 3);
    assert.equal(pickToken([-1, -1.05], [0], { repetitionPenalty: 1.1 }, rng), 1);
    // top-p 0.5 keeps only the most likely token of a 0.6/0.3/0.1 distribution.
    const l = [Math.log(0.3), Math.log(0.6), Math.log(0.1)];
    for (let i = 0; i < 20; i++) assert.equal(pickToken(l, [], { temperature: 1, topP: 0.5 }, rng), 1);
  });

  it("frequency and presence penalties follow OpenAI's rule over the generated tokens only", () => {
    const rng = new Rng(1);
    const logits = [2, 1.5, 1.4];
    // generated [0, 1]: 2 − (0.3 + 0.4) = 1.3, 1.5 − 0.7 = 0.8, 1.4 stays → token 2.
    assert.equal(pickToken(logits, [0, 0, 1], { frequencyPenalty: 0.3, presencePenalty: 0.4 }, rng, 1), 2);
    // generated [0, 0]: 2 − 2·0.3 = 1.4 < 1.5 → token 1; the prompt's tokens count for nothing.
    assert.equal(pickToken(logits, [0, 0, 0], { frequencyPenalty: 0.3 }, rng, 1), 1);
    assert.equal(pickToken(logits, [0, 0, 0], { frequencyPenalty: 0.3, presencePenalty: 2 }, rng, 3), 0);
    // Negative values encourage repeats.
    assert.equal(pickToken([1, 1.2], [0], { presencePenalty: -0.5 }, rng, 0), 0);
  });

  it("settled text holds back a partial stop string and is final once done", () => {
    const model = microModel(microConfig("llama"), referenceBackend, 4);
    const decode = (ids: number[]) => ids.map((id) => `<${id}>`).join("");
    const free = generate(model, prompt, { maxNewTokens: 6, eosTokenIds: [] }).tokens;
    const stop = `<${free[2]}>`;
    const seen: string[] = [];
    const r = generate(model, prompt, { maxNewTokens: 6, eosTokenIds: [], stopStrings: [`<${free[1]}><`, stop], decode, onToken: (_id, s) => seen.push(s.settledText()) });
    // After token 1 the text ends with "<t1>", a prefix of the first stop string: it is held back.
    assert.equal(seen[0], `<${free[0]}>`);
    assert.equal(seen[1], `<${free[0]}>`);
    assert.equal(r.finishReason, "stop");
    assert.equal(seen.at(-1), r.text);
  });

  it("rejects bad settings", () => {
    const model = microModel(microConfig("llama"), referenceBackend, 4);
    assert.throws(() => generate(model, prompt, { topP: 0 }), /top_p/);
    assert.throws(() => generate(model, [], {}), /prompt is empty/);
    assert.throws(() => generate(model, prompt, { stopStrings: ["x"] }), /decode/);
    assert.throws(() => generate(model, prompt, { presencePenalty: 2.5 }), /presence_penalty/);
  });
});
