import fs from "node:fs";
import path from "node:path";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { Rng } from "../../src/util/rng.js";

/** A micro model folder (the tiny preset's shapes with a 64-token vocabulary), written once per folder. */
export function microModelFolder(dir: string): string {
  const out = path.join(dir, "model");
  if (!fs.existsSync(out)) writeInitModel(out, planInitModel({ preset: "tiny", vocabSize: 64, seed: 1 }));
  return out;
}

/**
 * A prepared-data folder of records that teach a fixed mapping: prompt tokens, then the answer tokens
 * (prompt reversed) trained, −100 on the prompt. `overfit` makes an overfitting fixture instead: training answers
 * repeat one token and validation answers another, so the better the model fits training, the worse validation.
 */
export function preparedData(
  dir: string,
  options: { train: number; val: number; seed?: number; maxLen?: number; overfit?: boolean },
): string {
  const out = path.join(dir, `data-${options.train}-${options.val}-${options.seed ?? 0}-${options.overfit ? "o" : "r"}`);
  fs.mkdirSync(out, { recursive: true });
  const rng = new Rng(options.seed ?? 0);
  const record = (split: "train" | "val") => {
    const n = 4 + rng.int(options.maxLen ?? 12);
    const prompt = Array.from({ length: n }, () => 3 + rng.int(60));
    const fixed = split === "train" ? 7 : 9;
    const answer = (options.overfit ? prompt.map(() => fixed) : [...prompt].reverse()).concat([2]);
    return JSON.stringify({ input_ids: [1, ...prompt, ...answer], labels: [-100, ...prompt.map(() => -100), ...answer] });
  };
  const lines = (n: number, split: "train" | "val") => Array.from({ length: n }, () => record(split)).join("\n") + "\n";
  fs.writeFileSync(path.join(out, "train.jsonl"), lines(options.train, "train"));
  fs.writeFileSync(path.join(out, "val.jsonl"), options.val > 0 ? lines(options.val, "val") : "");
  return out;
}

/** Writes a YAML config (values as JSON, which YAML reads). */
export function writeConfig(dir: string, name: string, config: Record<string, unknown>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Object.entries(config).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n") + "\n");
  return file;
}
