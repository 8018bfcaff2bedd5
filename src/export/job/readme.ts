import type { BatchPlan } from "./batch-plan.js";
import type { ModelSource } from "./model-source.js";
import type { Strategy } from "./strategies.js";

export interface ReadmeInput {
  configFile: string;
  model: ModelSource;
  strategy: Strategy;
  gpus: number;
  nodes: number;
  batch: BatchPlan;
  trainRecords: number;
  validationRecords: number;
  notes: string[];
}

/** slurm.sh: one `accelerate launch` per node through srun; node 0 is the rendezvous host. */
export function slurmScript(gpus: number, nodes: number): string {
  return `#!/bin/bash
#SBATCH --job-name=loraforge-job
#SBATCH --nodes=${nodes}
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=${gpus}
#SBATCH --exclusive
set -euo pipefail
cd "$SLURM_SUBMIT_DIR"
MAIN_IP=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MAIN_IP
srun bash -c 'accelerate launch --config_file accelerate_config.yaml \\
  --num_machines "$SLURM_NNODES" --num_processes $((SLURM_NNODES * ${gpus})) \\
  --machine_rank "$SLURM_NODEID" --main_process_ip "$MAIN_IP" --main_process_port 29500 \\
  train.py'
`;
}

export function readmeText(r: ReadmeInput): string {
  const base = r.model.kind === "folder" ? r.model.path : r.model.id;
  const b = r.batch;
  const notes = r.notes.length ? r.notes.map((n) => `- ${n}`).join("\n") : "- none: every setting has its TRL equivalent";
  return `# TRL + Accelerate job exported by loraforge

From \`${r.configFile}\`: base \`${base}\` (${r.model.kind === "folder" ? "a local Hugging Face folder: it must exist at this path where the job runs, or edit model_name_or_path in job.json" : "a Hub id, downloaded by transformers"}),
${r.trainRecords} training and ${r.validationRecords} validation records, already tokenized by loraforge (train.jsonl / val.jsonl: input_ids and
labels, -100 = not trained), strategy **${r.strategy}** on ${r.nodes} node(s) × ${r.gpus} GPU(s) = ${b.processes} process(es).
Every optimizer step takes ${b.globalBatch} rows, as the config's batch_size × gradient_accumulation_steps:
${b.processes} process(es) × per_device_train_batch_size ${b.perDeviceBatch} × gradient_accumulation_steps ${b.gradientAccumulation}.

## Files
- \`train.py\`: TRL SFTTrainer + PEFT LoraConfig (+ BitsAndBytesConfig for QLoRA); reads \`job.json\`.
- \`job.json\`: the settings, by the names the Python classes take (model, lora = LoraConfig, sft = SFTConfig).
- \`accelerate_config.yaml\`: the ${r.strategy} launch configuration. \`slurm.sh\`: the cluster launch.
- \`requirements.txt\`: pinned versions (\`pip install -r requirements.txt\`).

## Launch
This export (${b.processes} process(es)):

    accelerate launch --config_file accelerate_config.yaml train.py

One GPU, or another GPU count: re-export with \`--gpus N\` so the global batch is shared anew, then launch as above.
A different count without re-exporting (\`--num_processes\`) multiplies the rows per step.

Slurm, ${r.nodes} node(s) × ${r.gpus} GPU(s):

    sbatch slurm.sh

A CPU smoke test (what loraforge's interop suite runs: 2 processes over gloo, for a ddp export made with --gpus 2;
\`accelerate launch --cpu\` alone starts one process whatever --num_processes says):

    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 train.py

## Bring the adapter back
The job ends with a PEFT adapter in \`output/adapter\` (adapter_config.json + adapter_model.safetensors):

    loraforge merge --model BASE --adapter output/adapter --out merged
    loraforge export gguf --model BASE --adapter output/adapter --out model.gguf
    loraforge export gguf-adapter --model BASE --adapter output/adapter --out adapter.gguf

(\`--ignore-base-name\` when the base's path on the cluster differs from yours.) \`train.py --init-adapter DIR\` starts from
an existing PEFT adapter, e.g. one loraforge trained, instead of a fresh one.

## Where this job differs from \`loraforge train\`
${notes}
`;
}
