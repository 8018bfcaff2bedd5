"""export-job interop: the exported TRL + Accelerate job, run on the CPU with 2 processes, against `loraforge train`.

test/export-job/interop/job-driver.ts writes the TRL interop case (tiny random llama, 80 records in file order, a
starting adapter with B != 0 and dropout 0) as a config file, runs our 20 optimizer steps on it (2 micro-batches of 2
rows each) and exports the config with `loraforge export-job --gpus 2`. This step runs the job as its README says:
  ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 train.py --init-adapter INITIAL
(2 processes over gloo, per_device_train_batch_size 2, no accumulation: the same 4 rows per optimizer step).
The launch is ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 (see LAUNCH below for why).

Checks:
  - per-step loss (the job's log_history at logging_steps 1) vs ours: |ours - job| / job <= 1e-3 on every step
  - final adapters (output/adapter vs ours): ||ours - job||_F / ||job||_F <= 1e-3 per tensor
  - the job's adapter comes back: `loraforge merge` and `loraforge export gguf-adapter` take output/adapter
  - the QLoRA variant exported for every strategy (2 nodes x 2 GPUs; no GPU here, so none of these is launched):
    accelerate_config.yaml loads as accelerate's ClusterConfig (unknown keys are refused there) with the distributed
    type and process count asked; every fsdp_config / deepspeed_config key is an option of the pinned
    `accelerate launch`; job.json builds trl.SFTConfig (bf16 switched off: it needs a GPU; SFTConfig's own checks,
    e.g. best-model loading against the eval/save cadence, run), peft.LoraConfig and transformers.BitsAndBytesConfig.
Writes test/golden/export_job.json, which test/export-job/job-golden.test.ts re-checks without Python.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import accelerate
import peft
import torch
import transformers
import trl
from safetensors.torch import load_file
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from accelerate.commands.config.config_args import ClusterConfig
from accelerate.commands.launch import launch_command_parser
from peft import LoraConfig
from transformers import BitsAndBytesConfig, PreTrainedTokenizerFast
from trl import SFTConfig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVER = os.path.join("test", "export-job", "interop", "job-driver.ts")
LOSS_TOL, ADAPTER_TOL = 1e-3, 1e-3
SAMPLES = 16
# `accelerate launch --cpu` takes its simple launcher, one process whatever --num_processes says (several only through
# mpirun); --multi_gpu starts 2 processes through torch's elastic launcher, and ACCELERATE_USE_CPU makes each a gloo
# CPU rank (transformers' TrainingArguments then sees a MULTI_CPU distributed state).
LAUNCH = ["accelerate", "launch", "--multi_gpu", "--num_processes", "2", "train.py"]
LAUNCH_ENV = {"ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1"}


def save_word_tokenizer(model_dir, vocab_size, pad_id):
    """The case's model has no tokenizer; the job needs one only for its padding id (the data is tokenized)."""
    vocab = {f"t{i}": i for i in range(vocab_size)}
    fast = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocab, unk_token=f"t{pad_id}")))
    fast.pad_token = f"t{pad_id}"
    fast.save_pretrained(model_dir)


def check_strategy(folder, name):
    """What can be checked of a GPU job without a GPU; returns the list of checks that passed (raises otherwise)."""
    config = ClusterConfig.from_yaml_file(os.path.join(folder, "accelerate_config.yaml"))
    expected_type = {"ddp": "MULTI_GPU", "fsdp": "FSDP", "deepspeed-zero2": "DEEPSPEED", "deepspeed-zero3": "DEEPSPEED"}[name]
    assert str(config.distributed_type).endswith(expected_type), f"{name}: distributed_type {config.distributed_type}"
    assert (config.num_machines, config.num_processes) == (2, 4), f"{name}: {config.num_machines} machines, {config.num_processes} processes"
    assert config.mixed_precision == "bf16" and config.downcast_bf16 == "no", f"{name}: {config.mixed_precision}, {config.downcast_bf16}"
    checks = ["ClusterConfig.from_yaml_file"]
    options = {a.dest for a in launch_command_parser()._actions}
    for section in ("fsdp_config", "deepspeed_config"):
        keys = set(getattr(config, section) or {})
        unknown = sorted(k for k in keys if k not in options and f"fsdp_{k}" not in options)
        assert not unknown, f"{name}: {section} keys that accelerate launch does not know: {unknown}"
        if keys:
            checks.append(f"{section} keys are accelerate launch options")
    job = json.load(open(os.path.join(folder, "job.json")))
    SFTConfig(**dict(job["sft"], output_dir=os.path.join(folder, "output"), bf16=False))
    LoraConfig(**job["lora"])
    quant = {k: getattr(torch, v) if k in ("bnb_4bit_compute_dtype", "bnb_4bit_quant_storage") else v for k, v in job["model"]["quantization"].items()}
    BitsAndBytesConfig(**quant)
    checks += ["SFTConfig(**sft, bf16=False)", "LoraConfig(**lora)", "BitsAndBytesConfig(**quantization)"]
    return checks


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def main():
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(["node", "--import", "tsx", DRIVER, "run", work], check=True, cwd=ROOT)
        ours = json.load(open(os.path.join(work, "ours.json")))
        case = ours["case"]
        assert ours["batch"] == {"processes": 2, "globalBatch": 4, "perDeviceBatch": 2, "gradientAccumulation": 1}, ours["batch"]
        save_word_tokenizer(os.path.join(work, "model"), case["vocabSize"], case["padId"])
        job_dir = os.path.join(work, "job")
        env = dict(os.environ, **LAUNCH_ENV)
        started = time.time()
        subprocess.run(LAUNCH + ["--init-adapter", os.path.join(work, "initial")], check=True, cwd=job_dir, env=env)
        seconds = time.time() - started
        job_settings = json.load(open(os.path.join(job_dir, "job.json")))
        history = json.load(open(os.path.join(job_dir, "output", "log_history.json")))
        theirs = [h for h in history if "loss" in h and "train_runtime" not in h]
        initial = load_file(os.path.join(work, "initial", "adapter_model.safetensors"))
        ours_final = load_file(os.path.join(ours["adapter_dir"], "adapter_model.safetensors"))
        job_final = load_file(os.path.join(job_dir, "output", "adapter", "adapter_model.safetensors"))
        adapter_config = json.load(open(os.path.join(job_dir, "output", "adapter", "adapter_config.json")))
        cli = ["node", "--import", "tsx", os.path.join("test", "helpers", "cli-entry.ts")]
        adapter_dir = os.path.join(job_dir, "output", "adapter")
        back = [["merge", "--model", os.path.join(work, "model"), "--adapter", adapter_dir, "--out", os.path.join(work, "merged"), "--dtype", "f32"],
                ["export", "gguf-adapter", "--model", os.path.join(work, "model"), "--adapter", adapter_dir, "--out", os.path.join(work, "adapter.gguf")]]
        for args in back:
            subprocess.run(cli + args, check=True, cwd=ROOT)
        came_back = [f"loraforge {' '.join(a[:2] if a[0] == 'export' else a[:1])}" for a in back]
        strategies = sorted(os.listdir(os.path.join(work, "strategies")))
        strategy_checks = {name: check_strategy(os.path.join(work, "strategies", name), name) for name in strategies}

    assert len(theirs) == len(ours["steps"]), f"{len(theirs)} logged steps"
    assert set(ours_final) == set(job_final) == set(initial), "adapter tensor names differ"
    loss_errors = [abs(o["loss"] - t["loss"]) / t["loss"] for o, t in zip(ours["steps"], theirs)]
    adapter_errors = {k: rel(ours_final[k], job_final[k]) for k in sorted(job_final)}
    update_errors = {k: rel(ours_final[k] - initial[k], job_final[k] - initial[k]) for k in sorted(job_final)}
    worst_loss, worst_adapter, worst_update = max(loss_errors), max(adapter_errors.values()), max(update_errors.values())
    for o, t, e in zip(ours["steps"], theirs, loss_errors):
        print(f"step {o['step']:2d}: ours {o['loss']:.6f} job {t['loss']:.6f} rel {e:.1e}  lr {o['lr']:.6g}/{t.get('learning_rate', 0):.6g}  "
              f"grad_norm {o['grad_norm']:.4f}/{t.get('grad_norm', 0):.4f}")
    print(f"export_job: 2-process CPU job in {seconds:.1f} s; max per-step loss error {worst_loss:.2e}, max adapter error "
          f"{worst_adapter:.2e} (relative to the update: {worst_update:.2e}); adapter r={adapter_config['r']} alpha={adapter_config['lora_alpha']}")

    for name, checks in strategy_checks.items():
        print(f"export_job: {name} (QLoRA, 2 nodes x 2 GPUs, not launched): " + "; ".join(checks))

    def strided(t):
        flat = t.flatten()
        stride = max(1, flat.numel() // SAMPLES)
        return [round(v, 9) for v in flat[::stride][:SAMPLES].tolist()]

    golden = {
        "made_by": "npm run test:interop (interop/steps/50_export_job.py)",
        "command": f"node --import tsx {DRIVER} run WORK; cd WORK/job && ACCELERATE_USE_CPU=true {' '.join(LAUNCH)} --init-adapter WORK/initial",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                     "trl": trl.__version__, "accelerate": accelerate.__version__},
        "case": case,
        "gpus": ours["gpus"],
        "batch": ours["batch"],
        "job": {k: job_settings[k] for k in ("model", "lora", "sft", "early_stopping_patience")},
        "adapter_taken_by": came_back,
        "strategy_checks": strategy_checks,
        "errors_at_generation": {"max_step_loss": worst_loss, "max_adapter": worst_adapter, "max_adapter_update": worst_update},
        "steps": [{"loss": t["loss"], "lr": t.get("learning_rate"), "grad_norm": t.get("grad_norm")} for t in theirs],
        "adapter": {k: {"norm": job_final[k].double().norm().item(),
                        "update_norm": (job_final[k] - initial[k]).double().norm().item(),
                        "update_samples": strided(job_final[k] - initial[k])} for k in sorted(job_final)},
    }
    failed = [name for name, ok in (("step loss", worst_loss <= LOSS_TOL), ("adapter", worst_adapter <= ADAPTER_TOL)) if not ok]
    if failed:
        print(f"export_job: FAILED {failed}")
        sys.exit(1)
    with open(os.path.join(ROOT, "test", "golden", "export_job.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
