import type { Command } from "commander";
import { generate } from "../model/index.js";
import { loadTokenizer } from "../tokenizer/index.js";
import type { ModelFlags } from "./model-flags.js";
import { loadModelFromFlags, withModelFlags } from "./model-flags.js";
import { numberOption } from "./number-option.js";

interface GenerateFlags extends ModelFlags {
  prompt: string;
  chat?: boolean;
  system?: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repetitionPenalty: number;
  seed: number;
  stop?: string[];
}

export function registerGenerate(program: Command): void {
  const command = program
    .command("generate")
    .description("continue a prompt with a model folder, optionally with a PEFT adapter (greedy unless --temperature > 0)");
  withModelFlags(command, "Hugging Face model folder (config.json, safetensors, tokenizer)")
    .requiredOption("--prompt <text>", "the prompt")
    .option("--chat", "render the prompt as a user turn with the model's chat template")
    .option("--system <text>", "a system message (with --chat)")
    .option("--max-new-tokens <n>", "most tokens to generate", numberOption("--max-new-tokens", { min: 1, integer: true }), 256)
    .option("--temperature <t>", "0 = greedy", numberOption("--temperature", { min: 0 }), 0)
    .option("--top-k <k>", "keep the k most likely tokens (0 = all)", numberOption("--top-k", { min: 0, integer: true }), 0)
    .option("--top-p <p>", "keep the most likely tokens up to this probability mass", numberOption("--top-p", { min: 0, max: 1, minExclusive: true }), 1)
    .option("--min-p <p>", "drop tokens less likely than p × the most likely one", numberOption("--min-p", { min: 0, max: 1 }), 0)
    .option("--repetition-penalty <r>", "> 1 discourages repeating tokens", numberOption("--repetition-penalty", { min: 0, minExclusive: true }), 1)
    .option("--seed <n>", "sampling seed", numberOption("--seed", { min: 0, max: 2 ** 32 - 1, integer: true }), 0)
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
        maxNewTokens: flags.maxNewTokens,
        temperature: flags.temperature,
        topK: flags.topK,
        topP: flags.topP,
        minP: flags.minP,
        repetitionPenalty: flags.repetitionPenalty,
        seed: flags.seed,
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
