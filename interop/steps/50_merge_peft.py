"""Merge interop: `loraforge merge` vs PEFT's merge_and_unload on init-model folders of all five architectures.

For each architecture and each adapter case of test/export/merge-case.ts (r 8, alpha 16, all seven projections,
plain and rsLoRA; A and B from a counter hash that npm test rebuilds bit for bit), PEFT saves the adapter,
PeftModel(base, adapter).merge_and_unload() gives the reference, and `loraforge merge` writes merged folders at
--dtype f32 and bf16 that transformers loads (computing in f32). Errors are ||ours - ref||_F / ||ref||_F:
  - f32 folder: merged weights and logits vs merge_and_unload: <= 1e-5
  - bf16 folder: weights and logits vs merge_and_unload rounded once to bf16 (what our merge stores): <= BF16_TOL
  - bf16 folder vs merge_and_unload in f32 (the cost of bf16 storage): reported, recorded
Writes test/golden/merge_<arch>.json (32 of 256 logit columns per case and dtype), which
test/export/merge-golden.test.ts re-checks without Python.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import peft
import torch
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVER = os.path.join(ROOT, "test", "model", "interop", "driver.ts")
CLI = os.path.join(ROOT, "test", "helpers", "cli-entry.ts")
# Must match CASE in test/model/interop/case.ts and MERGE_CASES, PROJECTIONS, B_BOUND in test/export/merge-case.ts.
SEQUENCES = [[5, 17, 250, 3, 99, 42, 42, 7, 130], [11, 200, 64, 9, 31, 77, 2]]
ARCHS = ["llama", "mistral", "qwen2", "qwen3", "gemma3"]
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
B_BOUND = 0.05
CASES = [
    {"name": "lora", "seed": 1, "r": 8, "lora_alpha": 16, "use_rslora": False},
    {"name": "rslora", "seed": 2, "r": 8, "lora_alpha": 16, "use_rslora": True},
]
F32_TOL, BF16_TOL = 1e-5, 1e-5
GOLDEN_COLS = 32
MASK = 0xFFFFFFFF
torch.set_num_threads(2)


def node(script, *args):
    subprocess.run(["node", "--import", "tsx", script, *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def mix32(x):
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & MASK
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & MASK
    return x ^ (x >> 16)


def hashed_factor(seed, shape, bound):
    """Entry k: (2*mix32(seed*0x9E3779B9 + k)/2^32 - 1) * bound, in float64, rounded once to float32."""
    base = (seed * 0x9E3779B9) & MASK
    h = [mix32((base + k) & MASK) for k in range(shape[0] * shape[1])]
    v = (torch.tensor(h, dtype=torch.float64) * 2 / 4294967296 - 1) * bound
    return v.to(torch.float32).reshape(shape)


def load(folder):
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()


def logits_of(model):
    with torch.no_grad():
        return torch.cat([model(torch.tensor([s])).logits[0] for s in SEQUENCES])


def rel(ours, ref):
    ours, ref = ours.to(torch.float64), ref.to(torch.float64)
    return ((ours - ref).norm() / ref.norm()).item()


def peft_adapter(folder, case, out):
    """The case's adapter as a PEFT model on `folder`'s base, saved to `out`."""
    config = LoraConfig(r=case["r"], lora_alpha=case["lora_alpha"], use_rslora=case["use_rslora"],
                        target_modules=PROJECTIONS, init_lora_weights=False, task_type="CAUSAL_LM")
    model = get_peft_model(load(folder), config)
    count = 0
    for name, module in model.named_modules():
        if not hasattr(module, "lora_A") or "default" not in module.lora_A:
            continue
        parts = name.split(".")
        layer, proj = int(parts[parts.index("layers") + 1]), parts[-1]
        seed = case["seed"] * 65536 + layer * 16 + PROJECTIONS.index(proj) * 2
        a, b = module.lora_A["default"].weight, module.lora_B["default"].weight
        with torch.no_grad():
            a.copy_(hashed_factor(seed, a.shape, 1 / math.sqrt(a.shape[1])))
            b.copy_(hashed_factor(seed + 1, b.shape, B_BOUND))
        count += 1
    assert count == 7 * model.config.num_hidden_layers, count
    model.save_pretrained(out)
    return model


def our_merge(folder, adapter, out, dtype):
    node(CLI, "merge", "--model", folder, "--adapter", adapter, "--out", out, "--dtype", dtype)


def weight_error(ours_dir, ref_state):
    """Worst per-tensor error of our merged safetensors against merge_and_unload's state dict (same names)."""
    ours = load_file(os.path.join(ours_dir, "model.safetensors"))
    ref = {k: v for k, v in ref_state.items() if k in ours or k != "lm_head.weight"}
    assert set(ours) == set(ref), f"tensor names differ: {sorted(set(ours) ^ set(ref))[:4]}"
    return max(rel(ours[k], ref[k]) for k in ref)


def check_case(arch, folder, case, work):
    adapter_dir, f32_dir, bf16_dir = (os.path.join(work, f"{case['name']}-{n}") for n in ("adapter", "f32", "bf16"))
    peft_adapter(folder, case, adapter_dir)
    merged = PeftModel.from_pretrained(load(folder), adapter_dir).merge_and_unload()
    ref_state = {k: v.detach().clone() for k, v in merged.state_dict().items()}
    ref_f32 = logits_of(merged)
    with torch.no_grad():  # each merged weight rounded once to bf16, as our bf16 folder stores it (buffers such as
        for p in merged.parameters():  # rotary inv_freq stay f32: transformers recomputes them when it loads a folder)
            p.copy_(p.to(torch.bfloat16))
    ref_bf16 = logits_of(merged)
    base_logits = logits_of(load(folder))

    our_merge(folder, adapter_dir, f32_dir, "f32")
    our_merge(folder, adapter_dir, bf16_dir, "bf16")
    errors = {
        "f32_weights": weight_error(f32_dir, ref_state),
        "f32_logits": rel(logits_of(load(f32_dir)), ref_f32),
        "bf16_weights": weight_error(bf16_dir, {k: v.to(torch.bfloat16) for k, v in ref_state.items()}),
        "bf16_logits_vs_rounded_ref": rel(logits_of(load(bf16_dir)), ref_bf16),
        "bf16_logits_vs_f32_ref": rel(logits_of(load(bf16_dir)), ref_f32),
    }
    # How far the adapter moves the logits, and how far a merge with the other scale (alpha/r <-> alpha/sqrt(r))
    # would land: both must be far above the bounds for the golden to catch a wrong merge.
    effect = {"adapter_vs_base": rel(base_logits, ref_f32)}
    print(f"{arch} {case['name']}: " + ", ".join(f"{k} {v:.2e}" for k, v in {**errors, **effect}.items()))
    limits = {"f32_weights": F32_TOL, "f32_logits": F32_TOL, "bf16_weights": BF16_TOL, "bf16_logits_vs_rounded_ref": BF16_TOL}
    failed = [f"{case['name']} {k}" for k, lim in limits.items() if not errors[k] <= lim]

    def cols(t):
        return [[round(v, 7) for v in row[:GOLDEN_COLS].tolist()] for row in t]

    golden = {"recipe": case, "errors_at_generation": {**errors, **effect},
              "f32_logits": cols(ref_f32), "bf16_logits": cols(ref_bf16)}
    return golden, failed


def check(arch, work):
    folder = os.path.join(work, "model")
    node(DRIVER, "init", arch, folder)
    cases, failed = {}, []
    for case in CASES:
        cases[case["name"]], f = check_case(arch, folder, case, work)
        failed += f
    golden = {
        "made_by": "npm run test:interop (interop/steps/50_merge_peft.py)",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "arch": arch,
        "projections": PROJECTIONS,
        "b_bound": B_BOUND,
        "cases": cases,
    }
    with open(os.path.join(ROOT, "test", "golden", f"merge_{arch}.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    return failed


def main():
    status = 0
    for arch in ARCHS:
        with tempfile.TemporaryDirectory() as work:
            failed = check(arch, work)
        if failed:
            print(f"{arch}: FAILED {failed}")
            status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
