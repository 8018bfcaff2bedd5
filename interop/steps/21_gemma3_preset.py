"""Gemma 3 at its real shape: loraforge vs transformers' Gemma3ForCausalLM on init-model's gemma3-270m preset.

The case of 20_model_peft.py is a tiny Gemma; this one is the published 270M shape (head_dim 256 ≠ hidden/heads,
4:1 GQA, 5 sliding : 1 full layers with a 512-token window, rope bases 1e6 / 1e4, a 262,144-token vocabulary),
random weights with norm weights in [-0.5, 0.5], on 600 tokens so the window binds on the last 88 rows. Checks:
  - final hidden states (float32 both sides): relative Frobenius error <= 1e-4, overall and on the rows past 512
  - mean cross-entropy over the 599 shifted targets: relative error <= 1e-5
and that the window matters (the same model with a 4096-token window differs by > 1e-2 on those rows).
No golden: the 270M folder is too slow for npm test; the tiny case's goldens cover the same code.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from transformers import AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVER = os.path.join(ROOT, "test", "model", "interop", "gemma3-preset.ts")
WINDOW = 512
torch.set_num_threads(2)


def main():
    with tempfile.TemporaryDirectory() as work:
        ours = subprocess.run(["node", "--import", "tsx", DRIVER, work], check=True, cwd=ROOT, capture_output=True, text=True)
        our_loss = json.loads(ours.stdout.strip().splitlines()[-1])["loss"]
        ids = torch.tensor([json.load(open(os.path.join(work, "ids.json")))])
        model = AutoModelForCausalLM.from_pretrained(os.path.join(work, "model"), dtype=torch.float32,
                                                     attn_implementation="eager").eval()
        with torch.no_grad():
            ref = model.model(ids).last_hidden_state[0]
            ref_loss = torch.nn.functional.cross_entropy(model.lm_head(ref)[:-1], ids[0, 1:]).item()
        hidden = torch.from_numpy(np.fromfile(os.path.join(work, "hidden.f32"), dtype=np.float32).reshape(ref.shape))
        model.config.sliding_window = 4096
        for layer in model.model.layers:
            if layer.self_attn.sliding_window:
                layer.self_attn.sliding_window = 4096
        with torch.no_grad():
            unwindowed = model.model(ids).last_hidden_state[0]

    def rel(a, b):
        return ((a - b).norm() / b.norm()).item()

    errors = {
        "hidden": rel(hidden, ref),
        "hidden_past_window": rel(hidden[WINDOW:], ref[WINDOW:]),
        "loss": abs(our_loss - ref_loss) / ref_loss,
    }
    window_effect = rel(unwindowed[WINDOW:], ref[WINDOW:])
    print("gemma3-270m, 600 tokens: " + ", ".join(f"{k} {v:.2e}" for k, v in errors.items())
          + f"; a 4096 window would change the rows past 512 by {window_effect:.2e}")
    limits = {"hidden": 1e-4, "hidden_past_window": 1e-4, "loss": 1e-5}
    failed = [k for k, v in errors.items() if not v <= limits[k]] + (["window_effect"] if window_effect <= 1e-2 else [])
    if failed:
        print(f"gemma3-270m: FAILED {failed}")
        sys.exit(1)


if __name__ == "__main__":
    main()
