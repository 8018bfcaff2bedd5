/**
 * The job's train.py: TRL SFTTrainer + PEFT over the exported token ids. Everything it sets comes from job.json
 * (written by mapConfig, keys named as the Python classes name them); the script itself is the same for every job.
 */
export const TRAIN_PY = String.raw`"""LoRA/QLoRA fine-tuning exported by loraforge export-job: TRL SFTTrainer + PEFT on Accelerate.

Launch with the commands in README.md. Every setting is in job.json, under the Python names it is passed by:
  model   -> AutoModelForCausalLM.from_pretrained (dtype, BitsAndBytesConfig for QLoRA)
  lora    -> peft.LoraConfig
  sft     -> trl.SFTConfig
The data (train.jsonl / val.jsonl) is already tokenized by loraforge: input_ids and labels (-100 = not trained), so the
chat template and the loss mask are exactly loraforge's; nothing is tokenized again here.
The final PEFT adapter is written to OUTPUT_DIR/adapter; loraforge merge / export / serve take it as their own.
"""
import argparse
import json
import os

import torch
from accelerate import PartialState
from datasets import load_dataset
from peft import LoraConfig, PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig, EarlyStoppingCallback
from trl import SFTConfig, SFTTrainer

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", default=os.path.join(HERE, "job.json"), help="settings written by loraforge export-job")
    parser.add_argument("--output-dir", help="where checkpoints and output/adapter go (default: job.json's, beside this file)")
    parser.add_argument("--init-adapter", help="start from this PEFT adapter (e.g. one loraforge trained) instead of a fresh LoraConfig")
    return parser.parse_args()


def load_model(job):
    settings = job["model"]
    kwargs = {"dtype": getattr(torch, settings["dtype"])}
    quant = settings["quantization"]
    if quant:
        quant = dict(quant)
        for key in ("bnb_4bit_compute_dtype", "bnb_4bit_quant_storage"):
            if key in quant:
                quant[key] = getattr(torch, quant[key])
        kwargs["quantization_config"] = BitsAndBytesConfig(**quant)
        # 4-bit weights are placed on each process's own GPU at load; FSDP and ZeRO-3 place (and shard) them themselves.
        if job["loraforge"]["strategy"] not in ("fsdp", "deepspeed-zero3"):
            kwargs["device_map"] = {"": PartialState().local_process_index}
    return AutoModelForCausalLM.from_pretrained(job["model_name_or_path"], **kwargs)


def load_tokenizer(job):
    # The data is tokenized; the trainer needs the tokenizer only for the padding id (padding is never trained).
    tokenizer = AutoTokenizer.from_pretrained(job["model_name_or_path"])
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_split(name):
    path = os.path.join(HERE, name)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    return load_dataset("json", data_files=path, split="train")


def main():
    args = parse_args()
    with open(args.job) as f:
        job = json.load(f)
    sft = dict(job["sft"])
    sft["output_dir"] = args.output_dir or os.path.join(HERE, sft["output_dir"])
    config = SFTConfig(**sft)

    model = load_model(job)
    peft_config = None
    if args.init_adapter:
        model = PeftModel.from_pretrained(model, args.init_adapter, is_trainable=True)
    else:
        peft_config = LoraConfig(**job["lora"])

    callbacks = []
    if job["early_stopping_patience"] is not None:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=job["early_stopping_patience"]))
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=load_split("train.jsonl"),
        eval_dataset=load_split("val.jsonl") if config.eval_strategy != "no" else None,
        processing_class=load_tokenizer(job),
        peft_config=peft_config,
        callbacks=callbacks,
    )
    trainer.train()

    # FSDP gathers the adapter to one full state dict here (fsdp_state_dict_type FULL_STATE_DICT in the config).
    adapter_dir = os.path.join(sft["output_dir"], "adapter")
    trainer.save_model(adapter_dir)
    if trainer.accelerator.is_main_process:
        with open(os.path.join(sft["output_dir"], "log_history.json"), "w") as f:
            json.dump(trainer.state.log_history, f, indent=1)
        print(f"adapter: {adapter_dir}")


if __name__ == "__main__":
    main()
`;
