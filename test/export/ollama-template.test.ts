// Train↔serve parity: the TEMPLATE loraforge writes for Ollama, rendered by a real Go text/template the way Ollama's
// /api/chat does, must give the same prompt as the Jinja template loraforge trains with (add_generation_prompt).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { modelfileText, ollamaTemplate } from "../../src/export/index.js";
import { ChatTemplate } from "../../src/tokenizer/chat-template.js";
import type { ChatMessage } from "../../src/tokenizer/index.js";
import { ConfigError } from "../../src/util/errors.js";
import { renderWithGo } from "./go-render.js";
import { chatTemplate, FAMILY_TEMPLATES, QWEN3_TEMPLATE, smollm2Template, type FamilyTemplate } from "./templates.js";

const system = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });

// Alternating user/assistant turns with an optional leading system message: what every tested family accepts.
const CONVERSATIONS: ChatMessage[][] = [
  [user("Hello")],
  [user("Hi there"), assistant("Hello! How can I help?")],
  [user("2+2?"), assistant("4"), user("3+3?"), assistant("6"), user("and 4+4?")],
  [system("You are a pirate."), user("Who are you?")],
  [system("Reply in one word."), user("Sky colour?"), assistant("Blue."), user("Grass?"), assistant("Green."), user("Sun?")],
  [user("Ünïcödé ✓ 日本語 👍🏽 عربى ǅ"), assistant("Ça marche — ß ∑ 🚀")],
  [system("Braces: {{ .System }} {% if %} {# c #}"), user("Go: {{ .Prompt }} {{- end }} {{ \"x\" }} {{"), assistant("}} {{{ }}} {%- raw -%}")],
  [user('Quotes: """triple""" "double" \'single\' \\ backslash \\n'), assistant('"""\n"""')],
  [user("line one\nline two\n\nline four"), assistant("a\tb\r\nc")],
  [user("x"), assistant(""), user("y")],
  [system(""), user("empty system prompt")],
];

function assertParity(family: FamilyTemplate, template: string, cases: Array<{ messages: ChatMessage[]; system?: string }>, jinjaMessages: (c: { messages: ChatMessage[]; system?: string }) => ChatMessage[]): void {
  const jinja = chatTemplate(family);
  const served = renderWithGo(template, cases);
  cases.forEach((c, i) => {
    const expected = jinja.render(jinjaMessages(c), { addGenerationPrompt: true });
    // Ollama's tokenizer prepends BOS when the GGUF says so; the TEMPLATE must then leave it out.
    const prompt = (family.addBosToken ? family.bosToken : "") + served[i];
    assert.equal(prompt, expected, `${family.name}, conversation ${i}: ${JSON.stringify(c)}`);
  });
}

function checkFamily(family: () => FamilyTemplate): void {
  test("Ollama's prompt equals the Jinja prompt for every conversation", () => {
    const f = family();
    const { template } = ollamaTemplate({ template: chatTemplate(f), bosToken: f.bosToken, addBosToken: f.addBosToken });
    assertParity(f, template, CONVERSATIONS.map((messages) => ({ messages })), (c) => c.messages);
  });

  test("a Modelfile SYSTEM is served like a system message in training", () => {
    const f = family();
    const { template } = ollamaTemplate({ template: chatTemplate(f), bosToken: f.bosToken, addBosToken: f.addBosToken });
    const withoutSystem = CONVERSATIONS.filter((messages) => messages[0].role !== "system");
    const fixed = "You are Captain Hook.\nSpeak like it.";
    assertParity(f, template, withoutSystem.map((messages) => ({ messages, system: fixed })), (c) => [system(fixed), ...c.messages]);
  });
}

for (const family of FAMILY_TEMPLATES) describe(family.name, () => checkFamily(() => family));

describe("SmolLM2-135M-Instruct's own template", () => {
  let smol: FamilyTemplate;
  before(async () => {
    smol = await smollm2Template();
  });
  checkFamily(() => smol);

  test("its default system prompt is written only when the conversation has none", () => {
    const { template } = ollamaTemplate({ template: chatTemplate(smol), bosToken: smol.bosToken, addBosToken: smol.addBosToken });
    const [without, withSystem] = renderWithGo(template, [{ messages: [user("hi")] }, { messages: [system("Mine."), user("hi")] }]);
    assert.equal(without, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    assert.equal(withSystem, "<|im_start|>system\nMine.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  });
});

describe("what the conversion reports", () => {
  test("templates that trim content say so, and padded content does differ in Ollama", () => {
    const llama3 = FAMILY_TEMPLATES.find((f) => f.name.startsWith("Llama 3 (Meta's, "))!;
    const result = ollamaTemplate({ template: chatTemplate(llama3), bosToken: llama3.bosToken, addBosToken: true });
    assert.equal(result.family, "Llama 3");
    assert.equal(result.caveats.length, 1);
    assert.match(result.caveats[0], /trims whitespace around system, user, assistant content/);
    const padded = [user("  spaced  ")];
    const [served] = renderWithGo(result.template, [{ messages: padded }]);
    assert.notEqual("<|begin_of_text|>" + served, chatTemplate(llama3).render(padded, { addGenerationPrompt: true }));
  });

  test("ChatML keeps content as it is and reports nothing", () => {
    const chatml = FAMILY_TEMPLATES[0];
    const result = ollamaTemplate({ template: chatTemplate(chatml), addBosToken: false });
    assert.equal(result.family, "ChatML");
    assert.deepEqual(result.caveats, []);
    assert.equal(result.template, '{{ range $i, $m := .Messages }}{{ if eq $m.Role "system" }}<|im_start|>system\n{{ $m.Content }}<|im_end|>\n{{ else if eq $m.Role "user" }}<|im_start|>user\n{{ $m.Content }}<|im_end|>\n{{ else if eq $m.Role "assistant" }}<|im_start|>assistant\n{{ $m.Content }}<|im_end|>\n{{ end }}{{ end }}<|im_start|>assistant\n');
  });
});

describe("conversations the Jinja templates do not cover", () => {
  const convert = (name: string) => {
    const family = FAMILY_TEMPLATES.find((f) => f.name === name)!;
    return ollamaTemplate({ template: chatTemplate(family), bosToken: family.bosToken, addBosToken: family.addBosToken }).template;
  };

  test("roles other than system/user/assistant render nothing; a later system message is a turn in ChatML", () => {
    const [tool, lateSystem] = renderWithGo(convert("ChatML (built-in)"), [
      { messages: [user("a"), { role: "tool", content: "t" }, assistant("b")] },
      { messages: [user("a"), assistant("b"), system("late"), user("c")] },
    ]);
    assert.equal(tool, "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>assistant\n");
    assert.equal(lateSystem, "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>system\nlate<|im_end|>\n<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n");
  });

  test("a later system message is dropped where the system prompt folds into the first user turn (Gemma)", () => {
    const [served] = renderWithGo(convert("Gemma (built-in)"), [{ messages: [user("a"), assistant("b"), system("late"), user("c")] }]);
    assert.equal(served, "<start_of_turn>user\na<end_of_turn>\n<start_of_turn>model\nb<end_of_turn>\n<start_of_turn>user\nc<end_of_turn>\n<start_of_turn>model\n");
  });

  test("Ollama merges consecutive messages of one role with a blank line", () => {
    const [served] = renderWithGo(convert("ChatML (built-in)"), [{ messages: [user("a"), user("b")] }]);
    assert.equal(served, "<|im_start|>user\na\n\nb<|im_end|>\n<|im_start|>assistant\n");
  });
});

describe("template text that Go or a Modelfile cannot carry raw", () => {
  test("a default system prompt with {{, quote runs before line breaks, a tab, NBSP, a control character and a trailing {", () => {
    // SmolLM2's layout with a hostile default system prompt, handed to the template as a variable.
    const defaultSystem = 'Use {{ .System }} and {{{ x }}}; """\n"""" end\ttab nb\u00a0sp bell\u0007 zero\u200bwidth 🚀 {';
    const source =
      "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
      "{{ '<|im_start|>system\\n' + default_system + '<|im_end|>\\n' }}{% endif %}" +
      "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const jinja = new ChatTemplate(source, { default_system: defaultSystem });
    const { template } = ollamaTemplate({ template: jinja, addBosToken: false });
    assert.match(template, /\{\{ "\\u0007" \}\}/);
    const served = renderWithGo(template, CONVERSATIONS.map((messages) => ({ messages })));
    CONVERSATIONS.forEach((messages, i) => assert.equal(served[i], jinja.render(messages, { addGenerationPrompt: true }), `conversation ${i}`));
    assert.match(modelfileText({ from: "m.gguf", template, stop: ["<|im_end|>"] }), /^FROM m\.gguf\nTEMPLATE """/);
  });
});

describe("templates with no Go equivalent are refused", () => {
  function refusal(family: Pick<FamilyTemplate, "source" | "bosToken" | "eosToken" | "addBosToken">): ConfigError {
    const template = chatTemplate({ name: "", ...family });
    let error: unknown;
    try {
      ollamaTemplate({ template, bosToken: family.bosToken, addBosToken: family.addBosToken });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }

  test("Qwen3's, which drops <think> blocks from earlier answers", () => {
    const error = refusal(QWEN3_TEMPLATE);
    assert.match(error.message, /\(ChatML\?\) has no known Ollama TEMPLATE equivalent/);
    assert.match(error.message, /for the conversation "/);
    assert.match(error.message, /first difference at character \d+/);
  });

  test("a made-up template that upper-cases the content", () => {
    const error = refusal({ source: "{% for m in messages %}<{{ m.role }}>{{ m.content | upper }}{% endfor %}", eosToken: "</s>", addBosToken: false });
    assert.match(error.message, /\(unknown\?\) has no known Ollama TEMPLATE equivalent: message content is not written verbatim/);
  });

  test("a template that numbers the turns", () => {
    const error = refusal({ source: "{% for m in messages %}{{ loop.index }}. {{ m.role }}: {{ m.content }}\n{% endfor %}", eosToken: "</s>", addBosToken: false });
    assert.match(error.message, /has no known Ollama TEMPLATE equivalent/);
  });

  test("a GGUF that adds BOS under a template that does not write it", () => {
    const chatml = FAMILY_TEMPLATES[0];
    const error = refusal({ ...chatml, bosToken: "<s>", addBosToken: true });
    assert.match(error.message, /first difference at character \d+; Ollama prepends BOS "<s>"/);
  });

  test("a template that fails on a probe conversation", () => {
    const error = refusal({ source: "{% if messages[0].role == 'system' %}{{ raise_exception('no system messages') }}{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}", eosToken: "</s>", addBosToken: false });
    assert.match(error.message, /fails on the probe conversation "system, user": .*no system messages/);
  });
});
