"""The peer: one LoRA step of transformers + peft on CPU torch, same folder, same tokens, same adapter shape.

    python bench/train-step/peer.py MODEL_DIR IDS.json STEPS [float32|autocast]   → one JSON line (tokens/s, s/step,
    peak RSS)

float32 runs everything in float32; autocast runs forward and loss under torch.autocast("cpu", dtype=torch.bfloat16)
(the linear layers and matmuls on bf16 operands, oneDNN's AMX/AVX512-BF16 kernels), the weights, LoRA parameters,
gradients and AdamW state staying float32, which is what our bf16 compute mode does.
"""
import json
import resource
import sys
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

torch.set_num_threads(2)
folder, ids_file, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
mode = sys.argv[4] if len(sys.argv) > 4 else "float32"
ids = torch.tensor(json.load(open(ids_file)))
model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="sdpa")
model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, task_type="CAUSAL_LM",
                                         target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
model.train()
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)


def step():
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "autocast"):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    opt.step()


step()  # warm-up
start = time.perf_counter()
for _ in range(steps):
    step()
seconds = (time.perf_counter() - start) / steps
print(json.dumps({"tokensPerSecond": ids.numel() / seconds, "secondsPerStep": seconds,
                  "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
