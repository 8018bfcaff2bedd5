// Assistant-only and completion-only masks. Expected trained spans are built from the raw message strings and
// the model's end-of-turn token text, never from the code under test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IGNORE_INDEX, TemplateError, type ChatMessage } from "../../src/tokenizer/index.js";
import { CHATML_WITH_GENERATION, CODE_TURN, MULTI_TURN, TOOLS, type FixtureTokenizer } from "./fixture-conversations.js";
import { fixtureTokenizer, trainedRuns } from "./helpers.js";

const LONG: ChatMessage[] = [...MULTI_TURN, { role: "user", content: "Thanks!" }, { role: "assistant", content: "You're welcome." }];

const CASES: Array<{ name: string; tokenizer: FixtureTokenizer; builtin?: string; source?: string; endOfTurn: string }> = [
  { name: "llama3_1", tokenizer: "llama3_1", endOfTurn: "<|eot_id|>" },
  { name: "qwen3", tokenizer: "qwen3", endOfTurn: "<|im_end|>" },
  { name: "gemma3", tokenizer: "gemma3", endOfTurn: "<end_of_turn>" },
  { name: "chatml (built-in)", tokenizer: "qwen3", builtin: "chatml", endOfTurn: "<|im_end|>" },
  { name: "{% generation %} template", tokenizer: "qwen3", source: CHATML_WITH_GENERATION, endOfTurn: "<|im_end|>" },
  { name: "llama3 base (always appends a header)", tokenizer: "llama3", endOfTurn: "<|eot_id|>" },
];

for (const c of CASES) {
  test(`${c.name}: each trained span decodes to the assistant content plus ${c.endOfTurn}`, () => {
    const tok = fixtureTokenizer(c.tokenizer, c);
    for (const messages of [MULTI_TURN, LONG, CODE_TURN]) {
      const { inputIds, labels } = tok.tokenizeConversation(messages);
      assert.equal(labels.length, inputIds.length);
      labels.forEach((l, i) => assert.ok(l === IGNORE_INDEX || l === inputIds[i], "a label differs from its input id"));
      const expected = messages.filter((m) => m.role === "assistant").map((m) => m.content + c.endOfTurn);
      assert.deepEqual(trainedRuns(labels).map((run) => tok.decode(run)), expected);
    }
  });
}

test("train_on last and weight 0 leave the other assistant turns untrained", () => {
  const tok = fixtureTokenizer("llama3_1");
  const last = tok.tokenizeConversation(LONG, { trainOn: "last" });
  assert.deepEqual(trainedRuns(last.labels).map((r) => tok.decode(r)), ["You're welcome.<|eot_id|>"]);
  const weighted = LONG.map((m, i) => (i === 2 ? { ...m, weight: 0 as const } : m));
  const runs = trainedRuns(tok.tokenizeConversation(weighted).labels).map((r) => tok.decode(r));
  assert.deepEqual(runs, [MULTI_TURN[4].content + "<|eot_id|>", "You're welcome.<|eot_id|>"]);
});

test("qwen3's think scaffolding: not prefix-preserving, detected, and the scaffold is not trained", () => {
  const tok = fixtureTokenizer("qwen3");
  assert.equal(tok.templateIsPrefixPreserving, false);
  assert.equal(fixtureTokenizer("llama3_1").templateIsPrefixPreserving, true);
  const { text, labels } = tok.tokenizeConversation(MULTI_TURN);
  assert.ok(text.includes("<think>\n\n</think>\n\n" + MULTI_TURN[4].content), "the last turn carries the scaffold");
  const trainedText = trainedRuns(labels).map((r) => tok.decode(r)).join("");
  assert.ok(!trainedText.includes("<think>"));
});

test("a tool-call turn trains the call the template prints, up to the end-of-turn token", () => {
  const tok = fixtureTokenizer("qwen3");
  const messages: ChatMessage[] = [
    { role: "user", content: "Weather in Paris?" },
    { role: "assistant", content: "", tool_calls: [{ type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } }] },
    { role: "tool", content: "{\"temp\": 21}" },
    { role: "assistant", content: "It is 21 °C in Paris." },
  ];
  const runs = trainedRuns(tok.tokenizeConversation(messages, { tools: TOOLS }).labels).map((r) => tok.decode(r));
  assert.equal(runs.length, 2);
  assert.match(runs[0], /^<tool_call>\n\{"name": "get_weather", "arguments": \{"city": "Paris"\}\}\n<\/tool_call><\|im_end\|>$/);
  assert.equal(runs[1], "It is 21 °C in Paris.<|im_end|>");
});

test("a conversation with nothing to train, or whose template refuses it, is an error", () => {
  const tok = fixtureTokenizer("gemma3");
  assert.throws(() => tok.tokenizeConversation([{ role: "user", content: "hi" }]), TemplateError);
  const noAlternation: ChatMessage[] = [
    { role: "user", content: "a" },
    { role: "user", content: "b" },
    { role: "assistant", content: "c" },
  ];
  assert.throws(() => tok.tokenizeConversation(noAlternation), /alternate/);
});

test("gemma3: the template writes BOS, the post-processor would add another; ids have exactly one", () => {
  const tok = fixtureTokenizer("gemma3");
  const bos = tok.bosTokenId!;
  const { inputIds } = tok.tokenizeConversation(MULTI_TURN);
  assert.equal(inputIds.filter((id) => id === bos).length, 1);
  assert.equal(inputIds[0], bos);
  assert.deepEqual(tok.tokenizeText("<bos>plain text").inputIds.filter((id) => id === bos), [bos]);
});

test("text trains every token and ends with EOS; prompt/completion trains the completion and EOS only", () => {
  const tok = fixtureTokenizer("llama3_1");
  const text = tok.tokenizeText("Once upon a time");
  assert.deepEqual(text.labels, text.inputIds);
  assert.equal(tok.decode(text.inputIds), "<|begin_of_text|>Once upon a time<|eot_id|>");
  const pc = tok.tokenizePromptCompletion("Q: two plus two?\nA:", " four");
  assert.deepEqual(trainedRuns(pc.labels).map((r) => tok.decode(r)), [" four<|eot_id|>"]);
  assert.equal(tok.decode(pc.inputIds), "<|begin_of_text|>Q: two plus two?\nA: four<|eot_id|>");
});

test("a token straddling the prompt/completion boundary is trained", () => {
  const tok = fixtureTokenizer("llama3_1");
  const { inputIds, labels } = tok.tokenizePromptCompletion("The capital is Par", "is");
  const parisIndex = inputIds.findIndex((id) => tok.decode([id]) === " Paris");
  assert.ok(parisIndex > 0, "' Paris' is one token");
  assert.equal(labels[parisIndex], inputIds[parisIndex]);
  assert.equal(labels[parisIndex - 1], IGNORE_INDEX);
});

test("strftime_now renders the fixed date", () => {
  const tok = fixtureTokenizer("qwen3", { source: "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }}" });
  assert.equal(tok.applyChatTemplate([]), "26 Jul 2024|2024-07-26");
});
