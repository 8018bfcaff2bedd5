import type { Command } from "commander";
import { generate } from "../model/index.js";
import { loadTokenizer } from "../tokenizer/index.js";
import { ConfigError } from "../util/errors.js";
import type { ModelFlags } from "./model-flags.js";
import { loadModelFromFlags, withModelFlags } from "./model-flags.js";

interface GenerateFlags extends ModelFlags {
  prompt: string;
  chat?: boolean;
  system?: string;
  maxNewTokens: string;
  temperature: string;
  topK: string;
  topP: string;
  minP: string;
  repetitionPenalty: string;
  seed: string;
  stop?: string[];
}

function number(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new ConfigError(`--${flag} expects a number, got ${JSON.stringify(value)}`);
  return n;
}

export function registerGenerate(program: Command): void {
  const command = program
    .command("generate")
    .description("continue a prompt with a model folder, optionally with a PEFT adapter (greedy unless --temperature > 0)");
  withModelFlags(command, "Hugging Face model folder (config.json, safetensors, tokenizer)")
    .requiredOption("--prompt <text>", "the prompt")
    .option("--chat", "render the prompt as a user turn with the model's chat template")
    .option("--system <text>", "a system message (with --chat)")
    .option("--max-new-tokens <n>", "most tokens to generate", "256")
    .option("--temperature <t>", "0 = greedy", "0")
    .option("--top-k <k>", "keep the k most likely tokens (0 = all)", "0")
    .option("--top-p <p>", "keep the most likely tokens up to this probability mass", "1")
    .option("--min-p <p>", "drop tokens less likely than p × the most likely one", "0")
    .option("--repetition-penalty <r>", "> 1 discourages repeating tokens", "1")
    .option("--seed <n>", "sampling seed", "0")
    .option("--stop <text...>", "stop strings")
    .action((flags: GenerateFlags) => {
      const model = loadModelFromFlags(flags);
      const tokenizer = loadTokenizer(flags.model);
      const messages = [...(flags.system ? [{ role: "system", content: flags.system }] : []), { role: "user", content: flags.prompt }];
      const promptIds = flags.chat ? tokenizer.encodeChat(messages, { addGenerationPrompt: true }) : tokenizer.encode(flags.prompt);
      const decode = (ids: number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
      // Stream text, not tokens: print what is new of the settled text (a character may span tokens, and a tail
      // that may start a stop string is held back).
      let printed = "";
      const result = generate(model, promptIds, {
        maxNewTokens: number("max-new-tokens", flags.maxNewTokens),
        temperature: number("temperature", flags.temperature),
        topK: number("top-k", flags.topK),
        topP: number("top-p", flags.topP),
        minP: number("min-p", flags.minP),
        repetitionPenalty: number("repetition-penalty", flags.repetitionPenalty),
        seed: number("seed", flags.seed),
        eosTokenIds: [...new Set([...model.eosTokenIds, ...tokenizer.endOfTurnTokenIds])],
        stopStrings: flags.stop,
        decode,
        onToken: (_id, state) => {
          const text = state.settledText();
          if (text.startsWith(printed)) {
            process.stdout.write(text.slice(printed.length));
            printed = text;
          }
        },
      });
      const text = result.text ?? "";
      process.stdout.write((text.startsWith(printed) ? text.slice(printed.length) : `\n${text}`) + "\n");
      process.stderr.write(`[${result.tokens.length} tokens, finished: ${result.finishReason}]\n`);
    });
}
