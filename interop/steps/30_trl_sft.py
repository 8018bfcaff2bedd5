"""Trainer interop: 20 optimizer steps of loraforge's runTraining vs TRL's SFTTrainer + PEFT, same start, same batches.

Both sides start from the same PEFT adapter (saved by us, B != 0, dropout 0) on the same random `tiny` folder and
take the same 80 records in file order (SFTTrainer with train_sampling_strategy="sequential"; ours through
test/train/interop/trl-driver.ts): 2 rows per micro-batch, 2 micro-batches per step, AdamW (torch) with weight
decay, linear schedule with 4 warmup steps, clipping at max_grad_norm 1.

Checks:
  - per-step loss (sum of CE over the step's counted targets / their count; transformers' num_items_in_batch,
    counted over the shifted labels of both micro-batches): |ours - TRL| / TRL <= 1e-3 on every step
  - final adapters: ||ours - TRL||_F / ||TRL||_F <= 1e-3 per tensor (also reported relative to the update)
Writes test/golden/trl_sft.json, which test/train/trl-golden.test.ts re-checks without Python.
"""
import json
import os
import subprocess
import sys
import tempfile

import peft
import torch
import transformers
import trl
from datasets import Dataset
from peft import PeftModel
from safetensors.torch import load_file
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
from trl import SFTConfig, SFTTrainer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVER = os.path.join(ROOT, "test", "train", "interop", "trl-driver.ts")
LOSS_TOL, ADAPTER_TOL = 1e-3, 1e-3
SAMPLES = 16  # strided entries of each tensor's update kept in the golden file
torch.set_num_threads(2)


def word_tokenizer(vocab_size, pad_id):
    """A word-level tokenizer over the case's ids: SFTTrainer only needs its pad token (the data is tokenized)."""
    vocab = {f"t{i}": i for i in range(vocab_size)}
    fast = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocab, unk_token=f"t{pad_id}")))
    fast.pad_token = f"t{pad_id}"
    return fast


class RecordingSFTTrainer(SFTTrainer):
    """SFTTrainer that keeps each micro-batch's loss and num_items_in_batch (the per-step loss is their sum)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.micro = []

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        value = loss[0] if return_outputs else loss
        shifted = inputs["labels"][..., 1:].ne(-100).sum().item()
        self.micro.append({"loss": value.item(), "num_items_in_batch": None if num_items_in_batch is None else int(num_items_in_batch),
                           "targets": shifted})
        return loss


def run_trl(work, case, seed):
    t = case["train"]
    model = AutoModelForCausalLM.from_pretrained(os.path.join(work, "model"), dtype=torch.float32, attn_implementation="eager")
    model = PeftModel.from_pretrained(model, os.path.join(work, "initial"), is_trainable=True)
    records = json.load(open(os.path.join(work, "records.json")))
    args = SFTConfig(
        output_dir=os.path.join(work, "trl"),
        per_device_train_batch_size=t["batch_size"],
        gradient_accumulation_steps=t["gradient_accumulation_steps"],
        max_steps=t["max_steps"],
        learning_rate=t["learning_rate"],
        lr_scheduler_type=t["lr_scheduler_type"],
        warmup_steps=t["warmup_steps"],
        weight_decay=t["weight_decay"],
        max_grad_norm=t["max_grad_norm"],
        adam_beta1=t["adam_beta1"],
        adam_beta2=t["adam_beta2"],
        adam_epsilon=t["adam_epsilon"],
        optim="adamw_torch",
        train_sampling_strategy="sequential",
        packing=False,
        padding_free=False,
        max_length=None,
        gradient_checkpointing=False,
        bf16=False,
        fp16=False,
        use_cpu=True,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        seed=seed,
        dataloader_drop_last=False,
        disable_tqdm=True,
    )
    trainer = RecordingSFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(records),
                                  processing_class=word_tokenizer(case["vocabSize"], case["padId"]))
    trainer.train()
    micro = trainer.micro
    per_step = t["gradient_accumulation_steps"]
    assert len(micro) == per_step * t["max_steps"], f"{len(micro)} micro-batches"
    steps = []
    for s in range(t["max_steps"]):
        group = micro[s * per_step:(s + 1) * per_step]
        targets = sum(m["targets"] for m in group)
        for m in group:
            # The loss must be normalized over the whole step's counted targets, as ours is.
            assert m["num_items_in_batch"] == targets, f"step {s + 1}: num_items_in_batch {m['num_items_in_batch']} vs {targets}"
        steps.append({"loss": sum(m["loss"] for m in group), "targets": targets})
    logged = [h for h in trainer.state.log_history if "loss" in h and "train_runtime" not in h]
    for s, h in zip(steps, logged):
        s["logged_loss"] = h["loss"]
        s["lr"] = h.get("learning_rate")
        s["grad_norm"] = h.get("grad_norm")
    out = os.path.join(work, "trl", "adapter")
    trainer.model.save_pretrained(out)
    return steps, out


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def main():
    with tempfile.TemporaryDirectory() as work:
        command = ["node", "--import", "tsx", os.path.relpath(DRIVER, ROOT), "run", work]
        subprocess.run(command, check=True, cwd=ROOT)
        ours = json.load(open(os.path.join(work, "ours.json")))
        case = ours["case"]
        theirs, trl_dir = run_trl(work, case, ours["seed"])

        initial = load_file(os.path.join(work, "initial", "adapter_model.safetensors"))
        ours_final = load_file(os.path.join(ours["adapter_dir"], "adapter_model.safetensors"))
        trl_final = load_file(os.path.join(trl_dir, "adapter_model.safetensors"))

    assert set(ours_final) == set(trl_final) == set(initial), "adapter tensor names differ"
    loss_errors = [abs(o["loss"] - t["loss"]) / t["loss"] for o, t in zip(ours["steps"], theirs)]
    targets_agree = all(o["targets"] == t["targets"] for o, t in zip(ours["steps"], theirs))
    adapter_errors = {k: rel(ours_final[k], trl_final[k]) for k in sorted(trl_final)}
    update_errors = {k: rel(ours_final[k] - initial[k], trl_final[k] - initial[k]) for k in sorted(trl_final)}
    worst_loss, worst_adapter = max(loss_errors), max(adapter_errors.values())
    worst_update = max(update_errors.values())
    for o, t, e in zip(ours["steps"], theirs, loss_errors):
        print(f"step {o['step']:2d}: ours {o['loss']:.6f} trl {t['loss']:.6f} rel {e:.1e}  lr {o['lr']:.6g}/{t['lr']:.6g}  "
              f"grad_norm {o['grad_norm']:.4f}/{t['grad_norm']:.4f}")
    print(f"trl_sft: max per-step loss error {worst_loss:.2e}, max adapter error {worst_adapter:.2e} "
          f"(relative to the update: {worst_update:.2e}), targets agree: {targets_agree}")

    def strided(t):
        flat = t.flatten()
        stride = max(1, flat.numel() // SAMPLES)
        return [round(v, 9) for v in flat[::stride][:SAMPLES].tolist()]

    golden = {
        "made_by": "npm run test:interop (interop/steps/30_trl_sft.py)",
        "command": "python interop/steps/30_trl_sft.py (ours: " + " ".join(command[:-1] + ["WORK"]) + ")",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                     "trl": trl.__version__},
        "peer": "trl.SFTTrainer + peft.PeftModel (adamw_torch, train_sampling_strategy=sequential, float32, eager)",
        "case": case,
        "errors_at_generation": {"max_step_loss": worst_loss, "max_adapter": worst_adapter, "max_adapter_update": worst_update},
        "steps": [{"loss": t["loss"], "targets": t["targets"], "lr": t["lr"], "grad_norm": t["grad_norm"]} for t in theirs],
        "adapter": {k: {"norm": trl_final[k].double().norm().item(),
                        "update_norm": (trl_final[k] - initial[k]).double().norm().item(),
                        "update_samples": strided(trl_final[k] - initial[k])} for k in sorted(trl_final)},
    }
    with open(os.path.join(ROOT, "test", "golden", "trl_sft.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    failed = []
    if not worst_loss <= LOSS_TOL:
        failed.append("step loss")
    if not worst_adapter <= ADAPTER_TOL:
        failed.append("adapter")
    if not targets_agree:
        failed.append("targets per step")
    if failed:
        print(f"trl_sft: FAILED {failed}")
        sys.exit(1)


if __name__ == "__main__":
    main()
