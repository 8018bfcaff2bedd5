"""A tiny Qwen2 model saved by transformers in bf16 and as bitsandbytes 4-bit checkpoints (nf4 + double quant,
fp4 without), for test/quant/bnb-checkpoint.test.ts: our quantize-on-load of the bf16 folder must reproduce the
4-bit tensors byte for byte, and our reader must load transformers' files.

An interop step (npm run test:interop; bitsandbytes is pinned in interop/requirements.txt).
"""
import os
import shutil

import torch
from transformers import BitsAndBytesConfig, Qwen2Config, Qwen2ForCausalLM, AutoModelForCausalLM

root = os.path.join(os.path.dirname(__file__), "..", "..", "test", "quant", "fixtures", "bnb-tiny")
shutil.rmtree(root, ignore_errors=True)
torch.manual_seed(3)
# hidden 64, intermediate 160: down_proj's in = 160 is not a multiple of 64, so its blocks straddle rows.
config = Qwen2Config(
    vocab_size=96, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=True, torch_dtype="bfloat16",
)
model = Qwen2ForCausalLM(config).to(torch.bfloat16)
with torch.no_grad():
    for p in model.parameters():
        p.normal_(0, 0.05)
bf16 = os.path.join(root, "bf16")
model.save_pretrained(bf16)
for name, qt, dq in (("nf4-dq", "nf4", True), ("fp4", "fp4", False)):
    q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=qt, bnb_4bit_use_double_quant=dq,
                           bnb_4bit_compute_dtype=torch.float32)
    m = AutoModelForCausalLM.from_pretrained(bf16, quantization_config=q, device_map="cpu")
    m.save_pretrained(os.path.join(root, name))
for d in os.listdir(root):
    print(d, sorted(os.listdir(os.path.join(root, d))))
