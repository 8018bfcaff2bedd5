// loraforge's memoized byte-level encoding must equal @huggingface/tokenizers token for token.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Tokenizer } from "@huggingface/tokenizers";
import { syntheticChatJsonl } from "../../bench/data/synthetic.js";
import { fixtureDir, type FixtureTokenizer } from "./fixture-conversations.js";
import { fixtureTokenizer } from "./helpers.js";
import type { ChatMessage } from "../../src/tokenizer/index.js";

const TRICKY = [
  "a  b", "x \u0301y", "word.\n Next", "1 234 56789 x", " ' s", "it's DON'T we'll", "\t tab\t\tx", "東京 は 大きい",
  "emoji 🙂 x 🙂🙂 y", "<|eot_id|> Hi <|im_end|>\n Bye", "a\r\n b", "trailing   ", "   leading", "mixed-case Word WORD word",
  "naïve café ﬁ", "x=1; y = [2, 3] # comment", "line\n\n\n  indented", "<|start_header_id|>assistant<|end_header_id|>\n\nHi",
];

for (const name of ["llama3_1", "qwen3"] as FixtureTokenizer[]) {
  test(`${name}: encode(text, no special tokens) equals the tokenizers library`, () => {
    const tok = fixtureTokenizer(name);
    const dir = fixtureDir(name);
    const reference = new Tokenizer(JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8")), JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8")));
    const corpus = syntheticChatJsonl(100, 5).map((line) => tok.applyChatTemplate((JSON.parse(line) as { messages: [] }).messages));
    for (const text of [...TRICKY, ...corpus, ...TRICKY]) {
      assert.deepEqual(tok.encode(text, { addSpecialTokens: false }), reference.encode(text, { add_special_tokens: false }).ids, JSON.stringify(text));
    }
  });
}

test("qwen3: parts of a conversation re-rendered after the whole (the turns policy) encode as the library does", () => {
  // The second and later renders reuse whole sections between added tokens from the section memo.
  const tok = fixtureTokenizer("qwen3");
  const dir = fixtureDir("qwen3");
  const reference = new Tokenizer(JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8")), JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8")));
  const messages = syntheticChatJsonl(40, 9).flatMap((line) => (JSON.parse(line) as { messages: ChatMessage[] }).messages.filter((m) => m.role !== "system"));
  const whole = tok.applyChatTemplate(messages);
  const parts = [whole, ...[0, 6, 20, 40].map((from) => tok.applyChatTemplate(messages.slice(from, from + 10))), whole];
  for (const text of parts) assert.deepEqual(tok.encode(text, { addSpecialTokens: false }), reference.encode(text, { add_special_tokens: false }).ids);
});
