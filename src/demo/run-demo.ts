import fs from "node:fs";
import path from "node:path";
import { prepareDataset } from "../data/index.js";
import { attachAdapter, loadAdapter } from "../lora/index.js";
import { loadModel } from "../model/index.js";
import { loadTokenizer } from "../tokenizer/index.js";
import { LoraforgeError } from "../util/errors.js";
import { answerJson, generateDataset, writeDataset } from "./dataset.js";
import { generateAnswers } from "./generations.js";
import type { ExtractionMetrics } from "./metrics.js";
import { baselineMetrics, scoreOutputs } from "./metrics.js";
import type { DemoBase } from "./base.js";
import { demoBase } from "./base.js";
import { metricsTable } from "./report.js";
import { demoConfigYaml } from "./train-config.js";

/** Share of the training records the trainer validates on (early stopping). */
const VAL_FRACTION = 0.04;

export interface DemoOptions {
  out: string;
  /** smollm2: the real model (fetched if needed); random: a random tiny model; auto: smollm2, else random. */
  base: "smollm2" | "random" | "auto";
  /** Budget of the whole demo; training stops early enough to leave time for the final evaluation. */
  minutes: number;
  seed: number;
  /** Default: the base's own (a pretrained model needs far fewer records than a random one). */
  trainRecords?: number;
  testRecords: number;
  /** Extra `loraforge train` flags (the smoke test passes --max_steps). */
  trainOverrides: string[];
  log: (line: string) => void;
  /** Runs `loraforge train CONFIG ...overrides`, stopping it (best adapter kept) after `budgetSeconds`. */
  train: (configFile: string, overrides: string[], budgetSeconds: number) => Promise<void>;
}

export interface DemoResult {
  base: DemoBase["kind"];
  before: ExtractionMetrics;
  after: ExtractionMetrics;
  baseline: ExtractionMetrics;
  seconds: number;
  examples: Array<{ text: string; expected: string; output: string }>;
}

/**
 * `loraforge demo`: a real pretrained model (SmolLM2-135M-Instruct; a random tiny one when it cannot be had), a
 * synthetic extraction dataset, a LoRA run through `loraforge train`, and before/after metrics on held-out
 * records beside a majority-class baseline.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const modelDir = path.join(o.out, "model");
  const dataDir = path.join(o.out, "data");
  fs.mkdirSync(o.out, { recursive: true });

  const base = demoBase(o.base, modelDir, o.seed, o.log);
  o.log(`1/5 model: ${base.description}`);
  const { keys, maxNewTokens } = base;

  const data = generateDataset({ seed: o.seed, trainRecords: o.trainRecords ?? base.trainRecords, testRecords: o.testRecords });
  const files = writeDataset(dataDir, data, keys);
  await prepareDataset([files.train], { modelDir: base.model, outDir: path.join(dataDir, "prepared"), valFraction: VAL_FRACTION, seed: o.seed, maxSeqLength: base.training.maxSeqLength, force: true });
  o.log(`2/5 data: ${files.train} (${data.train.length} records, ${100 * VAL_FRACTION}% for validation), ${files.test} (${data.test.length} held out)`);
  o.log(`    e.g. "${data.train[0].text}" → ${answerJson(data.train[0], keys)}`);
  o.log(`    held-out texts mention names, cities and items that no training text has (${data.pools.test.names.length} names, ${data.pools.test.cities.length} cities, ${data.pools.test.items.length} items kept apart)`);

  const model = loadModel(base.model, { dtype: "f32" });
  const tokenizer = loadTokenizer(base.model);
  const beforeStart = Date.now();
  const beforeOutputs = generateAnswers(model, tokenizer, data.test, { maxNewTokens, keys });
  const evalSeconds = (Date.now() - beforeStart) / 1000;
  const before = scoreOutputs(beforeOutputs, data.test, keys);
  o.log(`3/5 base model on the held-out records: ${(100 * before.jsonValid).toFixed(1)}% valid JSON, ${(100 * before.fieldMean).toFixed(1)}% of fields (${evalSeconds.toFixed(0)} s)`);
  o.log(`    e.g. "${data.test[0].text}"\n    → ${beforeOutputs[0].replace(/\n/g, "⏎").slice(0, 200)}`);

  const configFile = path.join(o.out, "config.yaml");
  fs.writeFileSync(configFile, demoConfigYaml(base));
  // Leave room for the evaluation after training (at most as long as the one before: the adapter stops at EOS).
  const budget = Math.max(10, o.minutes * 60 - elapsed() - evalSeconds - 15);
  o.log(`4/5 training: loraforge train ${configFile} --overwrite ${o.trainOverrides.join(" ")} (time budget ${Math.round(budget)} s)`);
  await o.train(configFile, ["--overwrite", ...o.trainOverrides], budget);

  const adapterDir = path.join(o.out, "run", "adapter");
  if (!fs.existsSync(path.join(adapterDir, "adapter_config.json"))) {
    throw new LoraforgeError("training stopped before its first evaluation, so no adapter was kept", {
      hint: "give the demo more time (--minutes), or fewer steps between evaluations",
    });
  }
  attachAdapter(model, loadAdapter(model, adapterDir));
  const afterOutputs = generateAnswers(model, tokenizer, data.test, { maxNewTokens, keys });
  const after = scoreOutputs(afterOutputs, data.test, keys);
  const baseline = baselineMetrics(data.train, data.test, keys);
  o.log(`5/5 held-out records (${data.test.length}):`);
  o.log(metricsTable([
    { label: base.label, metrics: before },
    { label: "majority baseline", metrics: baseline },
    { label: "base + LoRA adapter", metrics: after },
  ]));
  const examples = data.test.slice(0, 3).map((r, i) => ({ text: r.text, expected: answerJson(r, keys), output: afterOutputs[i] }));
  for (const e of examples) o.log(`  "${e.text}"\n    expected ${e.expected}\n    adapter  ${e.output}`);
  const seconds = elapsed();
  const result: DemoResult = { base: base.kind, before, after, baseline, seconds, examples };
  fs.writeFileSync(path.join(o.out, "metrics.json"), `${JSON.stringify(result, null, 2)}\n`);
  o.log(`done in ${seconds.toFixed(0)} s; metrics in ${path.join(o.out, "metrics.json")}, training report in ${path.join(o.out, "run", "report.html")}`);
  return result;
}
