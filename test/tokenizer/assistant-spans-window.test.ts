// The windowed generation header (linear in turns) finds the same assistant spans as rendering every prefix of the
// conversation (the definition, restated here from scratch) on every fixture template and built-in template,
// over seeded multi-turn conversations with system prompts, assistant-first chunks, untrained turns, repeated
// contents and answers that spell the template's own words.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatMessage } from "../../src/tokenizer/index.js";
import { renderWithAssistantSpans, trainedTurns } from "../../src/tokenizer/assistant-spans.js";
import type { ChatTemplate } from "../../src/tokenizer/chat-template.js";
import { Rng } from "../../src/util/rng.js";
import { fixtureTokenizer } from "./helpers.js";

/** Reference: the content of trained turn i is searched after the render of turns 0..i-1 with the generation prompt. */
function referenceSpans(template: ChatTemplate, messages: ChatMessage[], trained: number[]): Array<[number, number]> {
  const text = template.render(messages, { addGenerationPrompt: false });
  const find = (content: string, from: number) => {
    for (const c of [content, content.trim()]) {
      const at = c.length > 0 ? text.indexOf(c, from) : -1;
      if (at >= 0) return [at, at + c.length] as [number, number];
    }
    return undefined;
  };
  const spans: Array<[number, number]> = [];
  let cursor = 0;
  messages.forEach((m, i) => {
    if (trained.includes(i)) {
      let prompt: string | undefined;
      try {
        prompt = template.render(messages.slice(0, i), { addGenerationPrompt: true });
      } catch {
        prompt = undefined;
      }
      if (prompt !== undefined && text.startsWith(prompt)) cursor = Math.max(cursor, prompt.length);
      const span = find(m.content, cursor) ?? [cursor, cursor];
      spans.push(span);
      cursor = span[1];
    } else {
      const found = find(m.content, cursor);
      if (found) cursor = found[1];
    }
  });
  return spans;
}

const PIECES = ["assistant", "user", "model", "\n", "the answer", "<think>", "[/INST]", "Sure.", "yes", "system"];
function conversation(rng: Rng): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (rng.next() < 0.5) messages.push({ role: "system", content: `Be ${PIECES[rng.int(PIECES.length)]}.` });
  const assistantFirst = rng.next() < 0.25;
  const turns = 2 + rng.int(10);
  for (let t = 0; t < turns; t++) {
    const role = (t % 2 === 1) !== assistantFirst ? "assistant" : "user";
    // Trimmed and never empty, as the data pipeline hands contents over.
    const content = Array.from({ length: 1 + rng.int(3) }, () => PIECES[rng.int(PIECES.length)]).join(" ").trim() || "yes";
    const message: ChatMessage = { role, content };
    if (role === "assistant" && rng.next() < 0.2) message.weight = 0;
    messages.push(message);
  }
  if (messages.at(-1)!.role !== "assistant") messages.push({ role: "assistant", content: "the answer" });
  return messages;
}

const TEMPLATES = [
  ...(["llama3_1", "qwen3", "gemma3", "llama3"] as const).map((t) => ({ name: t, tok: () => fixtureTokenizer(t) })),
  ...["chatml", "llama3", "llama2", "mistral", "gemma"].map((b) => ({ name: `built-in ${b}`, tok: () => fixtureTokenizer("llama3_1", { builtin: b }) })),
];

for (const { name, tok } of TEMPLATES) {
  test(`${name}: windowed spans equal the every-prefix definition`, () => {
    const template = tok().requireChatTemplate();
    const rng = new Rng(11);
    let compared = 0;
    for (let n = 0; n < 60; n++) {
      const messages = conversation(rng);
      const trained = trainedTurns(messages, "all");
      if (trained.length === 0) continue;
      let expected: Array<[number, number]>;
      try {
        expected = referenceSpans(template, messages, trained);
      } catch {
        continue; // the template refuses this conversation (e.g. roles must alternate): nothing to compare
      }
      const actual = renderWithAssistantSpans(template, messages, trained).spans.map((s): [number, number] => [s.start, s.end]);
      assert.deepEqual(actual, expected, JSON.stringify(messages));
      compared++;
    }
    assert.ok(compared >= 10, `only ${compared} conversations compared`);
  });
}
