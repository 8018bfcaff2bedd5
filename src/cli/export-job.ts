import type { Command } from "commander";
import { JOB_TARGETS, STRATEGIES, exportJob, parseStrategy } from "../export/index.js";
import { ConfigError } from "../util/errors.js";

interface ExportJobFlags {
  out: string;
  target: string;
  gpus: string;
  nodes: string;
  strategy: string;
  overwrite?: boolean;
}

function count(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ConfigError(`${flag} ${value}: expected a whole number ≥ 1`);
  return Number(value);
}

export function registerExportJob(program: Command): void {
  program
    .command("export-job")
    .description("write a training config as a TRL + Accelerate job folder (train.py, accelerate config, prepared data) for GPUs and clusters")
    .argument("<config>", "the training config (YAML or JSON), as `loraforge train` takes it")
    .requiredOption("--out <dir>", "folder to write")
    .option("--target <target>", `training engine: ${JOB_TARGETS.join(", ")}`, "trl")
    .option("--gpus <n>", "GPUs per node", "1")
    .option("--nodes <n>", "nodes", "1")
    .option("--strategy <name>", `distribution: ${STRATEGIES.join(", ")}`, "ddp")
    .option("--overwrite", "replace a non-empty --out")
    .action(async (configFile: string, opts: ExportJobFlags) => {
      const r = await exportJob({
        configFile,
        out: opts.out,
        target: opts.target,
        gpus: count(opts.gpus, "--gpus"),
        nodes: count(opts.nodes, "--nodes"),
        strategy: parseStrategy(opts.strategy),
        overwrite: opts.overwrite,
      });
      const b = r.batch;
      console.log(
        `${r.out}: ${r.files.join(", ")}; ${r.trainRecords} train / ${r.validationRecords} validation records; ` +
          `${b.processes} process(es) × batch ${b.perDeviceBatch} × accumulation ${b.gradientAccumulation} = ${b.globalBatch} rows per step`,
      );
      for (const note of r.notes) console.log(`approximation: ${note}`);
      console.log(`launch: cd ${r.out} && pip install -r requirements.txt && accelerate launch --config_file accelerate_config.yaml train.py (README.md: Slurm, one GPU)`);
    });
}
