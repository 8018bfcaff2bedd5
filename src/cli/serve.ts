import type { Command } from "commander";
import { createServer, DEFAULT_LIMITS } from "../serve/index.js";
import { loadTokenizer } from "../tokenizer/index.js";
import { ConfigError } from "../util/errors.js";
import type { ModelFlags } from "./model-flags.js";
import { loadModelFromFlags, withBaseModelFlags } from "./model-flags.js";

interface ServeFlags extends Omit<ModelFlags, "adapter"> {
  adapter: string[];
  servedModelName?: string;
  chatTemplate?: string;
  host: string;
  port: string;
  apiKey?: string;
  maxBatch: string;
  maxQueue: string;
  prefillChunk: string;
  shutdownGrace: string;
}

function count(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min) throw new ConfigError(`--${flag} ${value}: expected an integer >= ${min}`);
  return n;
}

/** NAME=DIR pairs of --adapter. */
function adapterPairs(values: string[]): Array<{ name: string; path: string }> {
  return values.map((value) => {
    const at = value.indexOf("=");
    if (at <= 0 || at === value.length - 1) throw new ConfigError(`--adapter ${value}: expected NAME=DIR`, { hint: "for example --adapter sql=runs/sql/adapter" });
    return { name: value.slice(0, at), path: value.slice(at + 1) };
  });
}

export function registerServe(program: Command): void {
  const command = program
    .command("serve")
    .description("OpenAI-compatible server: one base model, LoRA adapters selected per request by `model`, loaded and unloaded at run time; a playground at /");
  withBaseModelFlags(command, "the base: a Hugging Face model folder, a .gguf file or ollama:NAME")
    .option("--adapter <name=dir...>", "an adapter to load at start, named for the `model` field (repeatable)", [])
    .option("--served-model-name <name>", "the base's name in requests and /v1/models (default: the --model value)")
    .option("--chat-template <name|file>", "override the model's chat template (chatml, llama3, llama2, mistral, gemma, or a .jinja file)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port (0 = any free one)", "8000")
    .option("--api-key <key>", "require `Authorization: Bearer <key>` on /v1/*")
    .option("--max-batch <n>", "most sequences decoded together", String(DEFAULT_LIMITS.maxBatch))
    .option("--max-queue <n>", "most requests waiting for the batch; more get 429", String(DEFAULT_LIMITS.maxQueue))
    .option("--prefill-chunk <n>", "most prompt tokens prefilled per step", String(DEFAULT_LIMITS.prefillChunk))
    .option("--shutdown-grace <seconds>", "on SIGINT/SIGTERM, how long running requests may finish", "10")
    .action(async (flags: ServeFlags) => {
      const limits = {
        maxBatch: count("max-batch", flags.maxBatch, 1),
        maxQueue: count("max-queue", flags.maxQueue, 0),
        prefillChunk: count("prefill-chunk", flags.prefillChunk, 1),
      };
      const port = count("port", flags.port, 0);
      const graceMs = 1000 * count("shutdown-grace", flags.shutdownGrace, 0);
      const adapters = adapterPairs(flags.adapter);
      const model = loadModelFromFlags({ model: flags.model, dtype: flags.dtype, quantization: flags.quantization });
      const tokenizer = loadTokenizer(flags.model, flags.chatTemplate ? { chatTemplate: flags.chatTemplate } : {});
      const server = createServer({ model, tokenizer, baseName: flags.servedModelName ?? flags.model, adapters, apiKey: flags.apiKey, limits });
      // Listening for the signals before the port opens: a signal that comes as soon as the server answers is handled.
      const signalled = new Promise<string>((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
      });
      const url = await server.listen(flags.host, port);
      const names = [server.context.registry.baseName, ...adapters.map((a) => a.name)];
      console.log(`loraforge serve: listening on ${url} (models: ${names.join(", ")}; playground: ${url}/)`);
      const signal = await signalled;
      console.log(`loraforge serve: ${signal}, finishing running requests (up to ${graceMs / 1000} s)`);
      await server.stop(graceMs);
      console.log("loraforge serve: stopped");
    });
}
