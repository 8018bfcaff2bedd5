// Driven by interop/steps/30_trl_sft.py: `run WORK` writes WORK/model (the case's folder), WORK/initial (the
// starting adapter, PEFT format), WORK/records.json (the records in training order), runs our 20 steps into
// WORK/ours (adapter/ inside) and writes WORK/ours.json (per-step loss, learning rate, gradient norm, targets).
import fs from "node:fs";
import path from "node:path";
import { caseConfig, caseRecords, makeCaseModel, runOurs, TRL_CASE } from "./trl-case.js";

const [command, work] = process.argv.slice(2);
if (command !== "run" || !work) throw new Error("usage: trl-driver.ts run WORK");
const modelDir = path.join(work, "model");
makeCaseModel(modelDir);
const records = caseRecords().map((r) => ({ input_ids: Array.from(r.inputIds), labels: Array.from(r.labels) }));
fs.writeFileSync(path.join(work, "records.json"), JSON.stringify(records));
const started = performance.now();
const { steps, adapterDir } = runOurs(modelDir, path.join(work, "ours"), { saveInitialTo: path.join(work, "initial") });
const config = caseConfig(modelDir, path.join(work, "ours"));
fs.writeFileSync(
  path.join(work, "ours.json"),
  JSON.stringify({
    case: TRL_CASE,
    seed: config.seed,
    adapter_dir: adapterDir,
    seconds: (performance.now() - started) / 1000,
    steps: steps.map((e) => ({ step: e.step, loss: e.loss, lr: e.learningRate, grad_norm: e.gradNorm, targets: e.targets })),
  }),
);
