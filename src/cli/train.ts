import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Command } from "commander";
import { loadTrainConfig, trainConfigJsonSchema } from "../train/config-load.js";
import type { TrainConfig } from "../train/config-schema.js";
import { appendMetric, prepareOutputDir, resolveResume, RUN_FILE, truncateMetrics } from "../train/run-folder.js";
import { describePlan, openSession } from "../train/session.js";
import type { TrainResult } from "../train/trainer.js";
import type { WorkerInput, WorkerMessage } from "../train/worker-protocol.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { ConfigError, LoraforgeError } from "../util/errors.js";
import { packageVersion } from "../util/package-info.js";
import { writeReport } from "../train/report.js";
import { TrainProgress } from "./train-progress.js";

interface TrainFlags {
  resume?: string | true;
  dryRun?: boolean;
  printSchema?: boolean;
  overwrite?: boolean;
}

/** Starts the training worker: dist/train/worker.js, or from source through tsx (tests, development). */
function startWorker(input: WorkerInput): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("../train/worker.js", import.meta.url), { workerData: input });
  const entry = new URL("../train/worker.ts", import.meta.url).href;
  return new Worker(new URL("../../scripts/tsx-worker.mjs", import.meta.url), { workerData: { ...input, entry } });
}

function writeRunFile(config: TrainConfig, extra: Record<string, unknown>): void {
  const record = { loraforge: packageVersion(), node: process.version, config, ...extra };
  writeFileAtomic(path.join(config.output_dir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** Runs the training worker; resolves with its result. Ctrl-C once: checkpoint and stop; twice: abort. */
function train(config: TrainConfig, resumeFrom: string | undefined): Promise<TrainResult> {
  const stopFlag = new SharedArrayBuffer(4);
  const worker = startWorker({ config, resumeFrom, stopFlag });
  const progress = new TrainProgress(config.logging_steps);
  const started = new Date();
  let window = { lossSum: 0, steps: 0, tokens: 0, since: Date.now() };
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      Atomics.store(new Int32Array(stopFlag), 0, 1);
      progress.log(`${signal}: finishing the current step and saving a checkpoint (press Ctrl-C again to abort now)`);
    } else {
      progress.log("aborted: nothing after the last checkpoint was saved");
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return new Promise<TrainResult>((resolve, reject) => {
    const cleanup = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      progress.stop();
    };
    worker.on("message", (m: WorkerMessage) => {
      switch (m.type) {
        case "plan":
          writeRunFile(config, { runHash: m.runHash, plan: m.plan, resumedFrom: resumeFrom ?? null, started: started.toISOString() });
          progress.log(
            `training ${m.plan.trainableParameters.toLocaleString()} LoRA parameters for ${m.plan.totalSteps} steps on ${m.plan.trainRecords} records (${m.plan.validationRecords} for validation)`,
          );
          break;
        case "step": {
          const e = m.event;
          progress.step(e);
          window.lossSum += e.loss;
          window.steps++;
          window.tokens += e.tokens;
          if (e.step % config.logging_steps === 0 || e.step === e.totalSteps) {
            const seconds = (Date.now() - window.since) / 1000;
            appendMetric(config.output_dir, {
              type: "train",
              step: e.step,
              epoch: e.epoch,
              loss: window.lossSum / window.steps,
              learning_rate: e.learningRate,
              grad_norm: e.gradNorm,
              tokens_per_second: window.tokens / Math.max(seconds, 1e-3),
            });
            window = { lossSum: 0, steps: 0, tokens: 0, since: Date.now() };
          }
          break;
        }
        case "eval":
          progress.evaluation(m.event);
          appendMetric(config.output_dir, {
            type: "eval",
            step: m.event.step,
            val_loss: m.event.valLoss,
            perplexity: m.event.perplexity,
            best: m.event.isBest,
          });
          break;
        case "checkpoint":
          break;
        case "done":
          cleanup();
          writeRunFile(config, { result: m.result, started: started.toISOString(), finished: new Date().toISOString() });
          resolve(m.result);
          break;
        case "error":
          cleanup();
          if (m.expected) reject(new LoraforgeError(m.message, { hint: m.hint }));
          else reject(Object.assign(new Error(m.message), { stack: m.stack }));
          break;
      }
    });
    worker.on("error", (err) => {
      cleanup();
      reject(err);
    });
  });
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
  lines.push(`  generate: loraforge generate --model ${config.model} --adapter ${result.adapterDir} --chat --prompt "..."`);
  lines.push(`  python:   PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), "${result.adapterDir}")`);
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
      if (flags.dryRun) {
        const plan = describePlan(config, await openSession(config));
        console.log(JSON.stringify({ config, plan }, null, 2));
        return;
      }
      let resumeFrom: string | undefined;
      if (flags.resume !== undefined) {
        resumeFrom = resolveResume(config.output_dir, flags.resume);
        truncateMetrics(config.output_dir, Number(/checkpoint-(\d+)$/.exec(resumeFrom)?.[1] ?? 0));
      } else {
        prepareOutputDir(config.output_dir, flags.overwrite ?? false);
      }
      const result = await train(config, resumeFrom);
      await writeReport(config.output_dir, result, `LoRA run: ${path.basename(config.model)}`);
      console.log(summary(result, config));
      console.log(`report: ${path.join(config.output_dir, "report.html")} (curves in loss.png)`);
    });
}
