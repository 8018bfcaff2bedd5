// Driven by interop/steps/50_export_job.py: `run WORK` writes the case's model (WORK/model), starting adapter
// (WORK/initial), data and config, runs our 20 steps (WORK/ours) and exports the job with --gpus 2 (WORK/job);
// WORK/ours.json holds our per-step losses and the job's batch plan. WORK/strategies/NAME: the QLoRA variant
// exported for each strategy, for the checks that need no GPU.
import fs from "node:fs";
import path from "node:path";
import { exportJob, STRATEGIES } from "../../../src/export/index.js";
import { loadTrainConfig } from "../../../src/train/index.js";
import { caseConfig, makeCaseModel, runOurs, TRL_CASE } from "../../train/interop/trl-case.js";
import { JOB_GPUS, STRATEGY_CHECK, writeJobCase, writeQloraCase } from "./job-case.js";

const [command, work] = process.argv.slice(2);
if (command !== "run" || !work) throw new Error("usage: job-driver.ts run WORK");
const modelDir = path.join(work, "model");
makeCaseModel(modelDir);
const configFile = writeJobCase(work);

// The config file must say what runOurs trains with (it takes the records in file order through its seeded
// shuffle's inverse; the file says train_sampling_strategy: sequential for the same order).
const fromFile = loadTrainConfig(configFile);
const ran = caseConfig(modelDir, fromFile.output_dir);
const differing = Object.keys(ran).filter(
  (k) => !["data", "train_sampling_strategy", "logging_steps"].includes(k) && JSON.stringify(ran[k as keyof typeof ran]) !== JSON.stringify(fromFile[k as keyof typeof fromFile]),
);
if (differing.length) throw new Error(`job case: the config file differs from the run in ${differing.join(", ")}`);

const { steps, adapterDir } = runOurs(modelDir, fromFile.output_dir, { saveInitialTo: path.join(work, "initial") });
const job = await exportJob({ configFile, out: path.join(work, "job"), gpus: JOB_GPUS });
fs.writeFileSync(
  path.join(work, "ours.json"),
  JSON.stringify({
    case: TRL_CASE,
    gpus: JOB_GPUS,
    batch: job.batch,
    notes: job.notes,
    adapter_dir: adapterDir,
    steps: steps.map((e) => ({ step: e.step, loss: e.loss, lr: e.learningRate, grad_norm: e.gradNorm, targets: e.targets })),
  }),
);

const qlora = writeQloraCase(work);
for (const strategy of STRATEGIES) await exportJob({ configFile: qlora, out: path.join(work, "strategies", strategy), strategy, ...STRATEGY_CHECK });
