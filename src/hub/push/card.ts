import { renderModelCard } from "../../formats/index.js";
import { packageVersion } from "../../util/package-info.js";
import type { PushSource } from "./push-source.js";
import type { RunSummary } from "./run-summary.js";

export interface CardFacts {
  repo: string;
  source: PushSource;
  baseModel?: string;
  license?: string;
  datasets?: string[];
  hubUrl: string;
  /** The GGUF file name, for the usage snippets. */
  ggufFile?: string;
}

const RELATION = { adapter: "adapter", merged: "finetune", gguf: "quantized" } as const;

/** README.md for the repo: the Hub's front matter (docs/hub.md "Push") and a body saying what it is, how it was made, how to use it. */
export function buildModelCard(facts: CardFacts): string {
  const { source, baseModel } = facts;
  return renderModelCard({
    relation: RELATION[source.kind],
    baseModel: baseModel ?? null,
    title: facts.repo.split("/")[1],
    license: facts.license,
    datasets: facts.datasets,
    tags: ["loraforge", ...(source.run?.config.quantization ? ["qlora"] : [])],
    body: [intro(facts), source.run ? training(source.run) : undefined, source.run?.data ? data(source.run) : undefined, source.run ? results(source.run, source) : undefined, usage(facts)]
      .filter(Boolean)
      .join("\n\n"),
    frameworkVersions: { loraforge: packageVersion() },
  });
}

function intro({ source, baseModel, hubUrl }: CardFacts): string {
  const base = baseModel ? `[${baseModel}](${hubUrl}/${baseModel})` : "its base model";
  if (source.kind === "adapter") return `A LoRA adapter (PEFT format) for ${base}, trained with loraforge.`;
  if (source.kind === "merged") return `${base} with a LoRA fine-tune merged into its weights (a standalone Transformers model).`;
  return `A GGUF file (llama.cpp / Ollama) of ${baseModel ? `a fine-tune of ${base}` : "a fine-tuned model"}.`;
}

function training(run: RunSummary): string {
  const c = run.config as Record<string, unknown> & { lora?: Record<string, unknown> };
  const rows: Array<[string, unknown]> = [
    ["method", c.quantization ? `QLoRA (${String(c.quantization)} base)` : "LoRA"],
    ["r / lora_alpha / dropout", c.lora ? `${String(c.lora.r)} / ${String(c.lora.lora_alpha)} / ${String(c.lora.lora_dropout)}` : undefined],
    ["target_modules", c.lora ? [c.lora.target_modules].flat().join(", ") : undefined],
    ["use_rslora", c.lora?.use_rslora],
    ["learning_rate / schedule", `${String(c.learning_rate)} / ${String(c.lr_scheduler_type)}, warmup ${String(c.warmup_ratio ?? c.warmup_steps ?? 0)}`],
    ["epochs / max_steps", `${String(c.num_train_epochs)} / ${String(c.max_steps ?? "-")}`],
    ["batch size × accumulation", `${String(c.batch_size)} × ${String(c.gradient_accumulation_steps)}`],
    ["max_seq_length / packing", `${String(c.max_seq_length)} / ${String(c.packing)}`],
    ["seed", c.seed],
  ];
  const table = rows.filter(([, v]) => v !== undefined).map(([k, v]) => `| ${k} | ${String(v)} |`);
  const stopped = run.stoppedBy ? `\n\nStopped by ${run.stoppedBy.replace("_", " ")} after ${run.steps} steps.` : "";
  return `## Training\n\n| setting | value |\n|---|---|\n${table.join("\n")}${stopped}`;
}

function data(run: RunSummary): string {
  const d = run.data!;
  const files = d.files.map((f) => `${f.file} (${f.format ?? "?"}, ${f.rows} rows)`).join(", ");
  const lines = [
    `- files: ${files || "-"}`,
    `- records: ${d.train} for training, ${d.val} for validation`,
    d.tokens !== undefined ? `- training tokens: ${d.tokens}${d.trainedTokens !== undefined ? ` (${d.trainedTokens} trained, the rest masked)` : ""}` : undefined,
    `- duplicates removed: ${d.exactDuplicates} exact, ${d.nearDuplicates} near`,
  ];
  return `## Data\n\n${lines.filter(Boolean).join("\n")}`;
}

function results(run: RunSummary, source: PushSource): string {
  const rows = [
    run.best ? `| best validation loss | ${run.best.valLoss.toFixed(4)} | ${run.best.step} |` : undefined,
    run.finalValLoss ? `| final validation loss | ${run.finalValLoss.valLoss.toFixed(4)} | ${run.finalValLoss.step} |` : undefined,
    run.finalTrainLoss ? `| final training loss | ${run.finalTrainLoss.loss.toFixed(4)} | ${run.finalTrainLoss.step} |` : undefined,
  ].filter(Boolean);
  const plot = source.files.some((f) => f.path === "loss.png") ? "\n\n![Training and validation loss](loss.png)" : "";
  return `## Results\n\n| | loss | step |\n|---|---|---|\n${rows.join("\n")}${plot}`;
}

function usage({ source, repo, baseModel, ggufFile }: CardFacts): string {
  const base = baseModel ?? "BASE_MODEL_ID";
  if (source.kind === "adapter") {
    return [
      "## How to use",
      "",
      "Python (PEFT):",
      "",
      "```python",
      "from peft import PeftModel",
      "from transformers import AutoModelForCausalLM, AutoTokenizer",
      "",
      `base = AutoModelForCausalLM.from_pretrained("${base}")`,
      `model = PeftModel.from_pretrained(base, "${repo}")`,
      `tokenizer = AutoTokenizer.from_pretrained("${base}")`,
      "```",
      "",
      "loraforge:",
      "",
      "```sh",
      `loraforge pull ${repo}   # prints the adapter's folder in the Hugging Face cache`,
      `loraforge generate --model ${base} --adapter <that folder> --chat --prompt "..."`,
      "```",
      "",
      `vLLM: \`vllm serve ${base} --enable-lora --lora-modules adapter=${repo}\`.`,
    ].join("\n");
  }
  if (source.kind === "merged") {
    return ["## How to use", "", "```python", "from transformers import AutoModelForCausalLM, AutoTokenizer", "", `model = AutoModelForCausalLM.from_pretrained("${repo}")`, `tokenizer = AutoTokenizer.from_pretrained("${repo}")`, "```"].join("\n");
  }
  return [
    "## How to use",
    "",
    "```sh",
    `llama-cli --hf-repo ${repo} --hf-file ${ggufFile} -p "..."`,
    `ollama run hf.co/${repo}`,
    `loraforge pull ${repo} --gguf-file ${ggufFile}`,
    "```",
  ].join("\n");
}
