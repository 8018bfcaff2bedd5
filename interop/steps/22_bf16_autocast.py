"""The bf16 compute mode vs torch.autocast("cpu", bfloat16): one step's loss and LoRA gradients.

On the llama interop case of 20_model_peft.py (a `tiny` folder, our seeded all-linear adapter with B != 0, two
packed sequences), PEFT computes the loss and every LoRA gradient under torch.autocast on the CPU in bfloat16, the
peer's mixed precision, and in float32. Autocast rounds every linear layer's operands (and outputs) to bf16, ours
rounds the frozen products' operands, so the two differ by bf16-sized noise, not by 0; the golden records torch's
own autocast-vs-float32 distance as the scale of that noise, and npm test (test/model/bf16-autocast-golden.test.ts)
checks that our bf16 step lands within 1.5x that noise of autocast's, and that our mode moves the step by less than
autocast moves torch's (it rounds fewer values) but not by nothing.
Writes test/golden/bf16_autocast_llama.json and bf16_autocast_llama_grads.safetensors (autocast's gradients).
"""
import importlib.util
import json
import os
import tempfile

import peft
import torch
import transformers
from peft import PeftModel
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("model_peft", os.path.join(HERE, "20_model_peft.py"))
case = importlib.util.module_from_spec(spec)
spec.loader.exec_module(case)


def flat(grads):
    return torch.cat([grads[p][f].flatten() for p in sorted(grads) for f in ("A", "B")]).to(torch.float64)


def main():
    with tempfile.TemporaryDirectory() as work:
        folder, ours_dir = os.path.join(work, "model"), os.path.join(work, "ours")
        case.driver("init", "llama", folder)
        case.driver("adapter", folder, ours_dir)
        model = PeftModel.from_pretrained(case.base_model(folder), ours_dir, is_trainable=True)
        f32_loss, f32_grads = case.loss_and_grads(model)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            ac_loss, ac_grads = case.loss_and_grads(model)
    grad_distance = ((flat(ac_grads) - flat(f32_grads)).norm() / flat(f32_grads).norm()).item()
    print(f"autocast vs float32: loss {ac_loss:.6f} vs {f32_loss:.6f}, gradients ||ac - f32|| / ||f32|| {grad_distance:.3e}")
    golden = {
        "made_by": "npm run test:interop (interop/steps/22_bf16_autocast.py)",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "arch": "llama",
        "float32_loss": f32_loss,
        "autocast_loss": ac_loss,
        "autocast_vs_float32_grads": grad_distance,
    }
    with open(os.path.join(case.GOLDEN, "bf16_autocast_llama.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    grads = {f"{p}.{f}": g[f].contiguous() for p, g in ac_grads.items() for f in ("A", "B")}
    save_file(grads, os.path.join(case.GOLDEN, "bf16_autocast_llama_grads.safetensors"), metadata={"made_by": golden["made_by"]})


if __name__ == "__main__":
    main()
