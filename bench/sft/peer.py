"""The peer of bench/sft: one epoch of TRL SFTTrainer + PEFT on CPU torch, same folder, data and LoRA config.

    python bench/sft/peer.py SETTINGS.json   → one JSON line: train/process seconds, final validation loss, steps

SETTINGS.json holds the model folder, the prepared-data folder (train.jsonl / val.jsonl of input_ids + labels) and
the hyperparameters bench/sft/run.ts also gives loraforge. The validation loss is computed here the way loraforge
computes it: Σ CE over every counted target of the validation records / their count (Trainer.evaluate averages
per-batch means instead).
"""
import json
import os
import resource
import sys
import time

started = time.perf_counter()
# The trainer's log lines go to stderr (shown as progress); stdout carries only the result line.
result_out, sys.stdout = sys.stdout, sys.stderr
import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from peft import LoraConfig, get_peft_model  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from tokenizers.models import WordLevel  # noqa: E402
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast  # noqa: E402
from trl import SFTConfig, SFTTrainer  # noqa: E402

s = json.load(open(sys.argv[1]))
torch.set_num_threads(s["threads"])


def read(name):
    with open(os.path.join(s["data"], name)) as f:
        return [json.loads(line) for line in f if line.strip()]


def word_tokenizer(vocab_size, pad_id):
    """SFTTrainer needs a tokenizer for its pad token only: the data is already tokenized."""
    vocab = {f"t{i}": i for i in range(vocab_size)}
    fast = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocab, unk_token=f"t{pad_id}")))
    fast.pad_token = f"t{pad_id}"
    return fast


def validation_loss(model, records, batch_size):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(records), batch_size):
            rows = records[i:i + batch_size]
            width = max(len(r["input_ids"]) for r in rows)
            ids = torch.tensor([r["input_ids"] + [s["pad_id"]] * (width - len(r["input_ids"])) for r in rows])
            labels = torch.tensor([r["labels"] + [-100] * (width - len(r["labels"])) for r in rows])
            mask = torch.tensor([[1] * len(r["input_ids"]) + [0] * (width - len(r["input_ids"])) for r in rows])
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            targets = labels[:, 1:]
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                       ignore_index=-100, reduction="sum").item()
            count += targets.ne(-100).sum().item()
    return total / count


train, val = read("train.jsonl"), read("val.jsonl")
model = AutoModelForCausalLM.from_pretrained(s["model"], dtype=torch.float32, attn_implementation="sdpa")
vocab_size = model.config.vocab_size
lora = s["lora"]
model = get_peft_model(model, LoraConfig(r=lora["r"], lora_alpha=lora["lora_alpha"], lora_dropout=lora["lora_dropout"],
                                         target_modules="all-linear", task_type="CAUSAL_LM"))
args = SFTConfig(
    output_dir=s["output_dir"],
    per_device_train_batch_size=s["batch_size"],
    gradient_accumulation_steps=s["gradient_accumulation_steps"],
    num_train_epochs=1,
    learning_rate=s["learning_rate"],
    lr_scheduler_type=s["lr_scheduler_type"],
    warmup_steps=s["warmup_steps"],
    weight_decay=s["weight_decay"],
    max_grad_norm=s["max_grad_norm"],
    optim="adamw_torch",
    max_length=s["max_seq_length"],
    packing=False,
    gradient_checkpointing=False,
    bf16=s["bf16"],
    fp16=False,
    use_cpu=True,
    logging_steps=10,
    save_strategy="no",
    eval_strategy="no",
    report_to=[],
    seed=s["seed"],
    dataloader_num_workers=0,
    disable_tqdm=True,
)
trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(train),
                     processing_class=word_tokenizer(vocab_size, s["pad_id"]))
t = time.perf_counter()
trainer.train()
train_seconds = time.perf_counter() - t
val_loss = validation_loss(trainer.model, val, s["eval_batch_size"])
print(json.dumps({
    "trainSeconds": train_seconds,
    "processSeconds": time.perf_counter() - started,
    "valLoss": val_loss,
    "steps": trainer.state.global_step,
    "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}), file=result_out)
