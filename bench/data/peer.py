"""Python peer of bench/data: the same JSONL through datasets.map + transformers' apply_chat_template.

Loads the file with datasets, drops malformed/assistant-less rows (check), removes exact duplicates, renders and
tokenizes with apply_chat_template(tokenize=True) in datasets.map (num_proc processes), writes JSONL.
No near-duplicate search and no assistant masks (transformers needs {% generation %} tags for those).
Prints one JSON line: {"records": n, "seconds": wall, "cpuSeconds": user+system of this process and its workers,
"maxRssMb": the largest resident set of this process or any one worker}.
"""

import json
import resource
import sys
import tempfile
import time

from datasets import load_dataset
from transformers import AutoTokenizer

path, model_dir, num_proc = sys.argv[1], sys.argv[2], int(sys.argv[3])
start = time.perf_counter()
tok = AutoTokenizer.from_pretrained(model_dir)
ds = load_dataset("json", data_files=path, split="train")
ds = ds.filter(lambda r: any(m["role"] == "assistant" and m["content"].strip() for m in r["messages"]), num_proc=num_proc)
seen = set()
keep = []
for i, messages in enumerate(ds["messages"]):
    key = json.dumps(messages, sort_keys=True)
    if key not in seen:
        seen.add(key)
        keep.append(i)
ds = ds.select(keep)


def tokenize(batch):
    ids = [tok.apply_chat_template(m, tokenize=True, return_dict=False) for m in batch["messages"]]
    return {"input_ids": ids}


ds = ds.map(tokenize, batched=True, num_proc=num_proc, remove_columns=ds.column_names)
with tempfile.TemporaryDirectory() as out:
    ds.to_json(f"{out}/train.jsonl")
usage = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
cpu = sum(r.ru_utime + r.ru_stime for r in usage)
rss = max(r.ru_maxrss for r in usage) / 1024
print(json.dumps({"records": len(ds), "seconds": time.perf_counter() - start, "cpuSeconds": cpu, "maxRssMb": rss}))
