import { Option, type Command } from "commander";
import { DATA_FORMATS, inspectData, type InspectedExample } from "../data/index.js";
import { numberOption } from "./number-option.js";

const GREEN = "\x1b[32m";
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

/** Trained text in green on a terminal; elsewhere between ⟦ ⟧ markers, so it survives a pipe or a file. */
function render(example: InspectedExample, color: boolean): string {
  const header = `── ${example.source} · ${example.tokens} tokens, ${example.trainedTokens} trained`;
  if (example.error) return `${header}\nerror: ${example.error}`;
  const body = example.runs
    .map((r) => (color ? (r.trained ? `${GREEN}${r.text}${RESET}` : `${DIM}${r.text}${RESET}`) : r.trained ? `⟦${r.text}⟧` : r.text))
    .join("");
  return `${header}\n${body}`;
}

export function registerDataInspect(data: Command): void {
  data
    .command("inspect")
    .description("print random examples as training sees them, trained tokens highlighted (⟦…⟧ when not a terminal)")
    .argument("<inputs...>", "data files, or a folder written by `data prepare`")
    .requiredOption("--model <dir>", "model folder with the tokenizer")
    .option("--chat-template <name|file>", "chat template: chatml, llama3, llama2, mistral, gemma, or a .jinja file")
    .addOption(new Option("--format <format>", "read every file as this format").choices(DATA_FORMATS))
    .addOption(new Option("--train-on <turns>", "train every assistant turn, or only the last").choices(["all", "last"]).default("all"))
    .option("--sample <n>", "how many examples", numberOption("--sample", { min: 1, integer: true }), 3)
    .option("--seed <n>", "which examples", numberOption("--seed", { min: 0, max: 2 ** 32 - 1, integer: true }), 0)
    .action(async (inputs: string[], flags: { model: string; chatTemplate?: string; format?: (typeof DATA_FORMATS)[number]; trainOn: "all" | "last"; sample: number; seed: number }) => {
      const examples = await inspectData(inputs, { modelDir: flags.model, ...flags });
      const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
      console.log(examples.map((e) => render(e, color)).join("\n\n"));
    });
}
