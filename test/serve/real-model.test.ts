// The server on the real SmolLM2-135M-Instruct GGUF, judged by llama.cpp (node-llama-cpp) on the same file: the
// chat prompt the server builds has llama.cpp's token count, and its greedy answer is llama.cpp's greedy answer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LlamaModel } from "node-llama-cpp";
import OpenAI from "openai";
import { loadModel } from "../../src/model/index.js";
import type { LoraServer } from "../../src/serve/index.js";
import { createServer } from "../../src/serve/index.js";
import type { LoraTokenizer } from "../../src/tokenizer/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { llamaGreedy, loadLlamaModel } from "../support/llama-cpp.js";
import { smollm2Gguf } from "../support/real-model.js";

let server: LoraServer;
let client: OpenAI;
let tokenizer: LoraTokenizer;
let llama: LlamaModel;

before(async () => {
  const file = smollm2Gguf();
  tokenizer = loadTokenizer(file);
  server = createServer({ model: loadModel(file), tokenizer, baseName: "smollm2" });
  client = new OpenAI({ baseURL: `${await server.listen("127.0.0.1", 0)}/v1`, apiKey: "x", maxRetries: 0 });
  llama = await loadLlamaModel(file);
});
after(async () => {
  await server?.stop(1000);
  await llama?.dispose();
});

describe("serve: the real SmolLM2 GGUF against llama.cpp", () => {
  it("a chat answer: the GGUF's own template, llama.cpp's token count and llama.cpp's greedy text", async () => {
    // llama.cpp's Q4_1 products quantize activations to 8 bits, so greedy answers part at near-ties (on "What is the
    // capital of France?" its first token differs); test/gguf/smollm2-vs-llama-cpp.test.ts measures how often.
    // This prompt has none within its answer.
    const messages = [{ role: "user" as const, content: "What is 2 + 2?" }];
    const r = await client.chat.completions.create({ model: "smollm2", messages, max_tokens: 24, temperature: 0 });
    const rendered = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
    assert.equal(tokenizer.chatTemplate?.source, llama.fileInfo.metadata.tokenizer.chat_template);
    const ids = Array.from(llama.tokenize(rendered, true)) as number[];
    assert.equal(r.usage?.prompt_tokens, ids.length);
    // llama.cpp's greedy tokens up to its end of turn (its generator ends there), as text.
    const theirs = await llamaGreedy(llama, ids, 24);
    const end = theirs.findIndex((t) => llama.isEogToken(t as never));
    const text = llama.detokenize((end >= 0 ? theirs.slice(0, end) : theirs) as never);
    assert.ok(text.length > 0);
    assert.equal(r.choices[0].message.content, text);
    assert.equal(r.choices[0].finish_reason, end >= 0 || theirs.length < 24 ? "stop" : "length");
  });
});
