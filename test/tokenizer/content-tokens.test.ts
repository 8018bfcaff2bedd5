// contentTokens: how many of a conversation's tokens fall inside each message's content (what the `turns` policy
// estimates turn sizes from), against the library's own encoding of that content.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Tokenizer } from "@huggingface/tokenizers";
import type { ChatMessage } from "../../src/tokenizer/index.js";
import { fixtureDir, MULTI_TURN } from "./fixture-conversations.js";
import { fixtureTokenizer } from "./helpers.js";

function libraryTokenizer(name: "qwen3" | "llama3_1"): Tokenizer {
  const dir = fixtureDir(name);
  return new Tokenizer(JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8")), JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8")));
}

for (const name of ["qwen3", "llama3_1"] as const) {
  test(`${name}: each message's content tokens in the conversation are the library's tokens of that content`, () => {
    const tok = fixtureTokenizer(name);
    const reference = libraryTokenizer(name);
    // Contents that start with a letter and end without a space: the template's delimiters cannot merge into them.
    const messages: ChatMessage[] = [...MULTI_TURN, { role: "user", content: "Thanks. 東京 again?" }, { role: "assistant", content: "Yes: 東京, Tokyo." }];
    const r = tok.tokenizeConversation(messages);
    assert.deepEqual(r.contentTokens, messages.map((m) => reference.encode(m.content, { add_special_tokens: false }).ids.length));
  });
}

test("a content the template does not print verbatim has no count (the caller falls back to encoding it)", () => {
  const tok = fixtureTokenizer("qwen3");
  // Qwen3's template moves an earlier answer's <think> reasoning out of the text: that answer is not found as written.
  const messages: ChatMessage[] = [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "<think>\nplan\n</think>\n\nHello there", weight: 0 },
    { role: "user", content: "Bye" },
    { role: "assistant", content: "Goodbye" },
  ];
  const r = tok.tokenizeConversation(messages);
  assert.ok(!r.text.includes(messages[1].content));
  assert.equal(r.contentTokens[1], undefined);
  assert.equal(r.contentTokens[3], libraryTokenizer("qwen3").encode("Goodbye", { add_special_tokens: false }).ids.length);
});
