// The real SmolLM2-135M-Instruct Q4_1 GGUF read by loraforge, judged against llama.cpp itself (node-llama-cpp):
// tokenization, chat template, next-token distributions and greedy generation.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { LlamaModel } from "node-llama-cpp";
import type { Model } from "../../src/model/index.js";
import { forwardLogits, generate, loadModel, makeBatch } from "../../src/model/index.js";
import type { LoraTokenizer } from "../../src/tokenizer/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { llamaGreedy, llamaNextTokenProbs, loadLlamaModel } from "../support/llama-cpp.js";
import { smollm2Gguf } from "../support/real-model.js";

const CORPUS = [
  "Hello world! 12345 <|im_start|>user",
  "  leading spaces\n\n\ttabs and\r\nCRLF   trailing   ",
  "const x = {a: 1, b: [2, 3]};\nfunction f(y) { return y ** 2; } // comment\n\tif (x !== null) {}",
  "Ünïcödé café naïve 日本語のテキスト 한국어 Ελληνικά русский 😀🎉👩‍👩‍👧 emoji",
  "3.14159 1,000,000 0x1F 1e-9 ٣٤٥ Ⅻ ½ ² 2024-12-01T10:00:00Z",
  "I'm you're we've they'll he'd IT'S DON'T 'quoted' \"double\"",
  "<|im_start|>system\nYou are helpful<|im_end|>\n<|im_start|>assistant\nSure!<|im_end|><|endoftext|>",
  "a\u00a0b\u2003c\u3000d    e\u200bf",
  "ﬁ ligature, Zalgo: Z̴̡a̷l̶g̵o, combining e\u0301, Hangul jamo 가",
  "don't   stop\n\n\n   \n",
  "<|im_start|><|im_start|>user<|im_end|> <|im_end|>x<|endoftext|>y",
  "https://example.com/path?q=a+b&x=%20 user@mail.org #hashtag @mention $100 ~tilde^caret|pipe",
  "",
];

const softmax = (row: Float32Array): Float64Array => {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += out[i] = Math.exp(row[i] - max);
  return out.map((v) => v / sum);
};
const argmax = (a: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

describe("SmolLM2-135M-Instruct GGUF: loraforge vs llama.cpp", () => {
  let file: string;
  let model: Model;
  let tok: LoraTokenizer;
  let llama: LlamaModel;
  const prompts: string[] = [];

  before(async () => {
    file = smollm2Gguf();
    model = loadModel(file);
    tok = loadTokenizer(file);
    llama = await loadLlamaModel(file);
    prompts.push(
      tok.applyChatTemplate([{ role: "user", content: "What is the capital of France?" }], { addGenerationPrompt: true }),
      tok.applyChatTemplate([{ role: "system", content: "You answer in JSON." }, { role: "user", content: "Give me a name and a city." }], { addGenerationPrompt: true }),
      "The quick brown fox jumps over the lazy",
      "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
      "1, 2, 3, 4, 5, 6,",
      "Once upon a time, in a small village,",
    );
  });

  const ourProbs = (ids: number[]): Float64Array => {
    const logits = forwardLogits(model, makeBatch([{ inputIds: ids, labels: ids.map(() => -100) }]));
    const vocab = logits.shape[logits.shape.length - 1];
    return softmax((logits.data as Float32Array).subarray((ids.length - 1) * vocab, ids.length * vocab));
  };

  test("tokenization equals llama.cpp's on every id (special tokens parsed, as in chat prompts)", () => {
    const texts = [...CORPUS, ...prompts];
    for (const text of texts) {
      assert.deepEqual(tok.encode(text), Array.from(llama.tokenize(text, true)), `text ${JSON.stringify(text)}`);
    }
  });

  test("the chat template is the one in llama.cpp's view of the metadata, and ends turns with <|im_end|>", () => {
    assert.equal(tok.chatTemplate?.source, llama.fileInfo.metadata.tokenizer.chat_template);
    assert.ok(tok.endOfTurnTokenIds.includes(llama.tokenize("<|im_end|>", true)[0] as number));
  });

  test("next-token distributions agree with llama.cpp's (its Q4_1 products quantize activations to 8 bits)", async () => {
    // Measured on 2026-12-01: KL 3e-4 … 7.9e-3 (mean 3.3e-3), total variation ≤ 0.051, top-1 equal on 5 of 6.
    const kls: number[] = [];
    for (const prompt of prompts) {
      const ids = tok.encode(prompt);
      const ours = ourProbs(ids);
      const theirs = await llamaNextTokenProbs(llama, ids);
      let kl = 0;
      let tv = 0;
      for (let i = 0; i < ours.length; i++) {
        if (theirs[i] > 0) kl += theirs[i] * Math.log(theirs[i] / Math.max(ours[i], 1e-30));
        tv += Math.abs(theirs[i] - ours[i]) / 2;
      }
      kls.push(kl);
      assert.ok(kl < 0.02 && tv < 0.1, `${JSON.stringify(prompt)}: KL ${kl}, TV ${tv}`);
      const [a, b] = [argmax(ours), argmax(theirs)];
      if (a !== b) assert.ok(Math.abs(ours[a] - ours[b]) < 0.05, `top-1 differs (${a} vs ${b}) without a near-tie: ${ours[a]} vs ${ours[b]}`);
    }
    assert.ok(kls.reduce((s, k) => s + k, 0) / kls.length < 0.01, `mean KL ${kls}`);
  });

  test("greedy generation matches llama.cpp's up to the first near-tie", async () => {
    let matched = 0;
    for (const prompt of prompts) {
      const ids = tok.encode(prompt);
      const theirs = await llamaGreedy(llama, ids, 32);
      const ours = generate(model, ids, { maxNewTokens: 32, eosTokenIds: [] }).tokens;
      let k = 0;
      while (k < theirs.length && ours[k] === theirs[k]) k++;
      matched += k;
      if (k === theirs.length) continue; // equal (llama.cpp stops at end-of-generation tokens)
      const prefix = [...ids, ...ours.slice(0, k)];
      const p = ourProbs(prefix);
      const q = await llamaNextTokenProbs(llama, prefix);
      const [a, b] = [ours[k], theirs[k]];
      assert.ok(Math.abs(p[a] - p[b]) < 0.05 && Math.abs(q[a] - q[b]) < 0.1, `${JSON.stringify(prompt)} token ${k}: ours ${a} (p ${p[a]} / llama ${q[a]}) vs llama ${b} (p ${p[b]} / llama ${q[b]}) is no near-tie`);
    }
    assert.ok(matched >= 64, `only ${matched} greedy tokens matched over ${prompts.length} prompts`);
  });
});
