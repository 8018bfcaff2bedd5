import path from "node:path";
import type { Command } from "commander";
import type { TrainConfig, TrainResult } from "../train/index.js";
import {
  BackgroundRun,
  describePlan,
  loadTrainConfig,
  openSession,
  prepareOutputDir,
  resolveResume,
  trainConfigJsonSchema,
  truncateMetrics,
  writeReport,
} from "../train/index.js";
import { ConfigError } from "../util/errors.js";
import { resolveModelWithProgress } from "./hub-models.js";
import { TrainProgress } from "./train-progress.js";

interface TrainFlags {
  resume?: string | true;
  dryRun?: boolean;
  printSchema?: boolean;
  overwrite?: boolean;
}

/** Runs training on its worker with progress; Ctrl-C once: checkpoint and stop; twice: abort. */
async function train(config: TrainConfig, resumeFrom: string | undefined): Promise<TrainResult> {
  const progress = new TrainProgress(config.logging_steps);
  const run = new BackgroundRun(config, resumeFrom, {
    onPlan: (plan) =>
      progress.log(
        `training ${plan.trainableParameters.toLocaleString()} LoRA parameters for ${plan.totalSteps} steps on ${plan.trainRecords} records (${plan.validationRecords} for validation)`,
      ),
    onStep: (e) => progress.step(e),
    onEval: (e) => progress.evaluation(e),
  });
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++interrupts === 1) {
      run.requestStop();
      progress.log(`${signal}: finishing the current step and saving a checkpoint (press Ctrl-C again to abort now)`);
    } else {
      progress.log("aborted: nothing after the last checkpoint was saved");
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await run.done;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.stop();
  }
}

function summary(result: TrainResult, config: TrainConfig): string {
  const lines: string[] = [];
  const how = {
    completed: "finished",
    max_steps: "reached max_steps",
    early_stopping: "stopped early (validation loss stopped improving)",
    interrupted: "interrupted",
  }[result.stoppedBy];
  lines.push(`training ${how} at step ${result.globalStep}/${result.totalSteps}`);
  if (result.best) lines.push(`best validation loss ${result.best.valLoss.toFixed(4)} at step ${result.best.step}: that adapter is the one saved`);
  if (result.overfittingFrom !== undefined) {
    lines.push(`overfitting: validation loss rose while training loss fell, from step ${result.overfittingFrom}`);
  }
  if (result.stoppedBy === "interrupted") {
    lines.push(`checkpoint: ${result.lastCheckpoint}`);
    lines.push(`resume with: loraforge train <config> --resume`);
  }
  lines.push(`adapter (PEFT format): ${result.adapterDir}`);
  const base = config.quantization ? `${config.model} --quantization ${config.quantization}` : config.model;
  lines.push(`  generate: loraforge generate --model ${base} --adapter ${result.adapterDir} --chat --prompt "..."`);
  lines.push(`  python:   PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), "${result.adapterDir}")`);
  lines.push(`  ship:     loraforge merge --model ${config.model} --adapter ${result.adapterDir} --out merged   ·   loraforge export ollama|gguf … (README "Ship it")`);
  lines.push(`report: ${path.join(config.output_dir, "report.html")} (curves in loss.png)`);
  return lines.join("\n");
}

export function registerTrain(program: Command): void {
  program
    .command("train [config]")
    .description("fine-tune a LoRA adapter from a YAML/JSON config; override any key with --key value (nested: --lora.r 32)")
    .option("--resume [checkpoint]", "continue from the newest checkpoint of output_dir (or the one given)")
    .option("--dry-run", "validate everything, print the plan and exit")
    .option("--print-schema", "print the config's JSON Schema and exit")
    .option("--overwrite", "replace a previous run in output_dir")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (configFile: string | undefined, flags: TrainFlags, cmd: Command) => {
      if (flags.printSchema) {
        console.log(JSON.stringify(trainConfigJsonSchema(), null, 2));
        return;
      }
      if (!configFile) throw new ConfigError("train needs a config file", { hint: "loraforge train config.yaml (see examples/)" });
      const config = loadTrainConfig(configFile, cmd.args.slice(1));
      const modelName = config.model;
      // `model:` may be a Hub id: resolved before the session opens (the snapshot path still names the id: docs/hub.md).
      config.model = await resolveModelWithProgress(config.model);
      if (flags.dryRun) {
        const plan = describePlan(config, await openSession(config, { dryRun: true }));
        console.log(JSON.stringify({ config, plan }, null, 2));
        return;
      }
      let resumeFrom: string | undefined;
      if (flags.resume !== undefined) {
        const resume = resolveResume(config.output_dir, flags.resume);
        for (const reason of resume.skipped) console.error(`skipping a damaged checkpoint: ${reason}`);
        console.error(`resuming from ${resume.dir} (step ${resume.step})`);
        resumeFrom = resume.dir;
        truncateMetrics(config.output_dir, resume.step);
      } else {
        prepareOutputDir(config.output_dir, flags.overwrite ?? false);
      }
      const result = await train(config, resumeFrom);
      await writeReport(config.output_dir, result, `LoRA run: ${path.basename(modelName)}`);
      console.log(summary(result, config));
    });
}
