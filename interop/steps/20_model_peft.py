"""Model and LoRA interop: loraforge vs transformers + PEFT on init-model folders of all five architectures
(gemma3: Gemma3ForCausalLM with sliding and full layers, a window shorter than the sequences, random (1 + w) norms).

Checks (errors are ||ours - ref||_F / ||ref||_F per tensor):
  - logits of a packed batch vs AutoModelForCausalLM float32, each sequence alone: <= 1e-4
  - our seeded adapter loaded by PeftModel.from_pretrained gives our logits: <= 1e-4
  - an adapter saved by PEFT loads in loraforge and gives PEFT's logits: <= 1e-4
  - LoRA gradients (A and B, B != 0) vs autograd through PEFT, both adapters, entry by entry: max over entries
    of |ours - ref| / (|ref| + 1e-3 * max|ref|) <= 1e-2 per tensor, and ||ours - ref||_F / ||ref||_F <= 1e-3
  - greedy decoding with our adapter and repetition_penalty 1.3 vs PEFT + transformers' generate, over the steps
    whose top-2 margin exceeds 1e-3 (the penalty keeps a random-init model from repeating one token)
  - the mistral and qwen2 cases carry a sliding window of 4 tokens (all layers / layers >= max_window_layers 2),
    shorter than the sequences, so their goldens exercise windowed attention, its gradients and windowed decoding;
    each golden records the window transformers applies on each layer (attention_windows)
Writes test/golden/model_<arch>.json and model_<arch>_grads.safetensors (every gradient entry, by PEFT), and the
adapter folder PEFT saved for llama as test/golden/peft_adapter/; npm test re-checks them without Python.
"""
import json
import os
import subprocess
import sys
import tempfile

import shutil

import peft
import torch
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVER = os.path.join(ROOT, "test", "model", "interop", "driver.ts")
# Must match CASE in test/model/interop/case.ts.
SEQUENCES = [[5, 17, 250, 3, 99, 42, 42, 7, 130], [11, 200, 64, 9, 31, 77, 2]]
ARCHS = ["llama", "mistral", "qwen2", "qwen3", "gemma3"]
LOGITS_TOL, GRAD_TOL, GRAD_ENTRY_TOL = 1e-4, 1e-3, 1e-2
REPETITION_PENALTY, GREEDY_PROMPT = 1.3, 1  # must match GREEDY in test/model/interop/case.ts
GOLDEN = os.path.join(ROOT, "test", "golden")
GOLDEN_COLS = 32
torch.set_num_threads(2)


def driver(*args):
    subprocess.run(["node", "--import", "tsx", DRIVER, *args], check=True, cwd=ROOT)


def base_model(folder):
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()


def logits_of(model):
    with torch.no_grad():
        return torch.cat([model(torch.tensor([s])).logits[0] for s in SEQUENCES])


def loss_and_grads(model):
    """Mean CE over every shifted target of both sequences, and d loss / d lora_{A,B} by module path."""
    model.zero_grad()
    total, count = 0.0, 0
    for s in SEQUENCES:
        logits = model(torch.tensor([s])).logits[0]
        total = total + torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(s[1:]), reduction="sum")
        count += len(s) - 1
    loss = total / count
    loss.backward()
    grads = {}
    for name, p in model.named_parameters():
        for factor in ("A", "B"):
            tag = f".lora_{factor}."
            if tag in name:
                path = name[len("base_model.model."): name.index(tag)]
                grads.setdefault(path, {})[factor] = p.grad.detach().clone()
    return loss.item(), grads


def rel(ours, ref):
    ours = torch.as_tensor(ours, dtype=torch.float64).reshape(ref.shape)
    ref = ref.to(torch.float64)
    return ((ours - ref).norm() / ref.norm()).item()


def entry_rel(ours, ref):
    """Worst entry: |ours - ref| / (|ref| + 1e-3 * max|ref|) (the floor keeps near-zero entries meaningful)."""
    ours = torch.as_tensor(ours, dtype=torch.float64).reshape(ref.shape)
    ref = ref.to(torch.float64)
    return ((ours - ref).abs() / (ref.abs() + 1e-3 * ref.abs().max())).max().item()


def worst_grad_error(ours, ref, measure=rel):
    assert set(ours) == set(ref), f"modules differ: {sorted(set(ours) ^ set(ref))[:4]}"
    return max(measure(ours[p][f], ref[p][f]) for p in ref for f in ("A", "B"))


def greedy_agreement(model, ours):
    """Steps of transformers' greedy generate that agree with ours, stopping at the first near-tie (margin <= 1e-3)."""
    out = model.generate(torch.tensor([SEQUENCES[GREEDY_PROMPT]]), max_new_tokens=len(ours), do_sample=False,
                         repetition_penalty=REPETITION_PENALTY, output_scores=True, return_dict_in_generate=True,
                         eos_token_id=None, pad_token_id=0)
    theirs = out.sequences[0, len(SEQUENCES[GREEDY_PROMPT]):].tolist()
    for step, scores in enumerate(out.scores):
        top2 = torch.topk(scores[0], 2).values
        if (top2[0] - top2[1]).item() <= 1e-3:
            return step, theirs
        if theirs[step] != ours[step]:
            raise AssertionError(f"greedy differs at step {step}: ours {ours} vs transformers {theirs}")
    return len(ours), theirs


def attention_windows(config):
    """The sliding window transformers applies on each layer (None = full causal attention)."""
    window = getattr(config, "sliding_window", None)
    types = getattr(config, "layer_types", None) or ["sliding_attention"] * config.num_hidden_layers
    return [window if window and t == "sliding_attention" else None for t in types]


def check(arch, work):
    folder, peft_dir, ours_dir, out = (os.path.join(work, n) for n in ("model", "peft", "ours", "out.json"))
    driver("init", arch, folder)

    torch.manual_seed(0)
    trained = get_peft_model(base_model(folder), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                            init_lora_weights=False, task_type="CAUSAL_LM"))
    trained.save_pretrained(peft_dir)
    driver("run", folder, out, peft_dir, ours_dir)
    got = json.load(open(out))

    base = base_model(folder)
    ref_base = logits_of(base)
    ref_peft = logits_of(trained)
    peft_loss, peft_grads = loss_and_grads(trained)
    ours_in_peft = PeftModel.from_pretrained(base_model(folder), ours_dir, is_trainable=True)
    ref_ours = logits_of(ours_in_peft)
    ours_loss, ours_grads = loss_and_grads(ours_in_peft)
    with torch.no_grad():
        steps, theirs_greedy = greedy_agreement(ours_in_peft, got["greedy"])

    errors = {
        "base_logits": rel(got["base_logits"], ref_base),
        "our_adapter_in_peft_logits": rel(got["ours_logits"], ref_ours),
        "peft_adapter_in_loraforge_logits": rel(got["peft_logits"], ref_peft),
        "our_adapter_grads": worst_grad_error(got["ours_grads"], ours_grads),
        "peft_adapter_grads": worst_grad_error(got["peft_grads"], peft_grads),
        "our_adapter_grad_entries": worst_grad_error(got["ours_grads"], ours_grads, entry_rel),
        "peft_adapter_grad_entries": worst_grad_error(got["peft_grads"], peft_grads, entry_rel),
        "our_adapter_loss": abs(got["ours_loss"] - ours_loss) / ours_loss,
        "peft_adapter_loss": abs(got["peft_loss"] - peft_loss) / peft_loss,
    }
    print(f"{arch}: " + ", ".join(f"{k} {v:.2e}" for k, v in errors.items()) + f", greedy agrees on {steps} steps")
    limits = {k: (GRAD_ENTRY_TOL if "entries" in k else GRAD_TOL if "grads" in k else LOGITS_TOL) for k in errors}
    failed = [k for k, v in errors.items() if not v <= limits[k]]

    golden = {
        "made_by": "npm run test:interop (interop/steps/20_model_peft.py)",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "arch": arch,
        "attention_windows": attention_windows(base.config),
        "errors_at_generation": errors,
        "base_logits": [[round(v, 7) for v in row[:GOLDEN_COLS].tolist()] for row in ref_base],
        "adapter_logits": [[round(v, 7) for v in row[:GOLDEN_COLS].tolist()] for row in ref_ours],
        "adapter_loss": ours_loss,
        "peft_adapter_logits": [[round(v, 7) for v in row[:GOLDEN_COLS].tolist()] for row in ref_peft],
        "greedy_repetition_penalty": REPETITION_PENALTY,
        "greedy": theirs_greedy[:steps],
    }
    if failed:
        return failed
    with open(os.path.join(GOLDEN, f"model_{arch}.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    grads = {f"{p}.{f}": g[f].contiguous() for p, g in ours_grads.items() for f in ("A", "B")}
    save_file(grads, os.path.join(GOLDEN, f"model_{arch}_grads.safetensors"), metadata={"made_by": golden["made_by"]})
    if arch == "llama":
        # The folder exactly as PEFT saved it: npm test loads this file, not a hand-typed imitation.
        target = os.path.join(GOLDEN, "peft_adapter")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(peft_dir, target)
    return failed


def main():
    status = 0
    for arch in sys.argv[1:] or ARCHS:  # e.g. `python interop/steps/20_model_peft.py gemma3` for one case
        with tempfile.TemporaryDirectory() as work:
            failed = check(arch, work)
        if failed:
            print(f"{arch}: FAILED {failed}")
            status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
