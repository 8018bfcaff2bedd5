import type { Command } from "commander";
import type { PushPlan } from "../hub/index.js";
import { pushToHub } from "../hub/index.js";
import { formatAdapterCheck } from "./check-adapter.js";

interface PushFlags {
  repo: string;
  private?: boolean;
  revision?: string;
  message?: string;
  dryRun?: boolean;
  baseModel?: string;
  dataset?: string[];
}

function describe(plan: PushPlan, dryRun: boolean): string {
  const total = plan.files.reduce((s, f) => s + f.size, 0);
  const lines = [`${dryRun ? "would push" : "pushing"} ${plan.kind} to ${plan.repo} (branch ${plan.branch}): ${plan.files.length} files, ${(total / 1e6).toFixed(2)} MB`];
  for (const f of plan.files) lines.push(`  ${f.path.padEnd(36)} ${f.size.toLocaleString("en-US").padStart(14)} bytes`);
  for (const n of plan.notes) lines.push(`note: ${n}`);
  if (plan.check) lines.push("", "preflight (loraforge check-adapter):", formatAdapterCheck(plan.check));
  return lines.join("\n");
}

export function registerPush(program: Command): void {
  program
    .command("push <source>")
    .description("publish a run folder, a PEFT adapter folder, a merged model folder or a .gguf file to the Hugging Face Hub, with a model card")
    .requiredOption("--repo <owner/name>", "the Hub repo (created when missing)")
    .option("--private", "create the repo private")
    .option("--revision <branch>", "commit to this branch (created when missing; default main)")
    .option("--message <text>", "commit message")
    .option("--base-model <id>", "the base model's Hub id, when the source does not record it")
    .option("--dataset <id...>", "Hub ids of the training datasets, for the card")
    .option("--dry-run", "list the files, their sizes and the card; send nothing")
    .action(async (source: string, flags: PushFlags) => {
      const options = { repo: flags.repo, private: flags.private, branch: flags.revision, message: flags.message, baseModel: flags.baseModel, datasets: flags.dataset };
      // The plan is shown before the upload starts (large files take a while).
      const result = await pushToHub(source, { ...options, dryRun: flags.dryRun, onPlan: (plan) => console.error(describe(plan, flags.dryRun ?? false)) });
      if (flags.dryRun) console.log(`--- README.md ---\n${result.plan.card}`);
      else console.log(`committed: ${result.commitUrl ?? result.plan.repo}`);
    });
}
