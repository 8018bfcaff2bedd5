"""Golden 4-bit quantizations from bitsandbytes itself (CPU), re-checked by test/quant/bnb-golden.test.ts.

An interop step (npm run test:interop; bitsandbytes is pinned in interop/requirements.txt).
Writes test/quant/golden/bnb_4bit.json (float32 arrays and bytes as little-endian hex).
"""
import json
import os

import torch
import bitsandbytes.functional as F

torch.manual_seed(7)
cases = []


def bits(t):
    return t.float().contiguous().numpy().tobytes().hex()


def add(name, x, quant_type, double):
    q, s = F.quantize_4bit(x, blocksize=64, quant_type=quant_type, compress_statistics=double)
    d = s.as_dict(packed=True)
    case = {
        "name": name,
        "dtype": str(x.dtype).replace("torch.", ""),
        "shape": list(x.shape),
        "input": name.split("-")[0],
        "quant_type": quant_type,
        "double_quant": double,
        "packed": bytes(q.flatten().tolist()).hex(),
    }
    if name.startswith("w1"):
        case["dequantized"] = bits(F.dequantize_4bit(q, s).float())
    if double:
        case["absmax_codes"] = bytes(d["absmax"].tolist()).hex()
        case["nested_absmax"] = bits(d["nested_absmax"])
        case["offset"] = float(s.offset)
    else:
        case["absmax"] = bits(d["absmax"])
    cases.append(case)


w1 = torch.randn(7, 93) * 0.05  # in not a multiple of 64: blocks straddle rows, partial last block
w2 = (torch.randn(33, 100) * 0.02).to(torch.bfloat16)
w2[3, :] = 0  # contributes a zero block or part of one
inputs = {}
w3 = torch.randn(300, 64) * torch.linspace(0.001, 1, 300).unsqueeze(1)  # 300 blocks: two nested blocks
inputs.update(w1=bits(w1), w2=bits(w2), w3=bits(w3))
for qt in ("nf4", "fp4"):
    for dq in (False, True):
        add(f"w1-{qt}-{dq}", w1, qt, dq)
        add(f"w2-{qt}-{dq}", w2, qt, dq)
add("w3-nf4-True", w3, "nf4", True)

out = {
    "source": "bitsandbytes " + __import__("bitsandbytes").__version__ + ", torch " + torch.__version__,
    "dynamic_map": bits(F.create_dynamic_map(signed=True)),
    "inputs": inputs,
    "cases": cases,
}
path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "quant", "golden", "bnb_4bit.json")
with open(path, "w") as fh:
    json.dump(out, fh)
print("wrote", path, len(cases), "cases")
