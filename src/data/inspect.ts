import { statSync } from "node:fs";
import path from "node:path";
import { IGNORE_INDEX, loadTokenizer, type LoraTokenizer, type TrainOn } from "../tokenizer/index.js";
import { Rng } from "../util/rng.js";
import { loadRecords, type LoadOptions } from "./load-records.js";
import { readPreparedLines, type PreparedRecord } from "./prepared-data.js";
import { tokenizeRecord } from "./tokenize-record.js";

export interface InspectOptions extends LoadOptions {
  modelDir: string;
  chatTemplate?: string;
  trainOn?: TrainOn;
  sample?: number;
  seed?: number;
}

export interface InspectedExample {
  /** Where it came from: file:line, or the prepared file and its line. */
  source: string;
  tokens: number;
  trainedTokens: number;
  /** The decoded text cut into runs, each trained or not. */
  runs: Array<{ text: string; trained: boolean }>;
  /** Set instead of runs when the record cannot be tokenized. */
  error?: string;
}

/** Decodes consecutive tokens of equal trainedness together, so the text reads naturally. */
function runsOf(tok: LoraTokenizer, inputIds: readonly number[], labels: readonly number[]): InspectedExample["runs"] {
  const runs: InspectedExample["runs"] = [];
  let start = 0;
  for (let i = 1; i <= inputIds.length; i++) {
    const trained = labels[start] !== IGNORE_INDEX;
    if (i < inputIds.length && (labels[i] !== IGNORE_INDEX) === trained) continue;
    runs.push({ text: tok.decode(inputIds.slice(start, i)), trained });
    start = i;
  }
  return runs;
}

function example(tok: LoraTokenizer, source: string, inputIds: number[], labels: number[]): InspectedExample {
  const trainedTokens = labels.filter((l) => l !== IGNORE_INDEX).length;
  return { source, tokens: inputIds.length, trainedTokens, runs: runsOf(tok, inputIds, labels) };
}

/** Picks `count` of `total` indices with the seeded generator, in ascending order. */
function sampleIndices(total: number, count: number, seed: number): number[] {
  return new Rng(seed).shuffle([...Array(total).keys()]).slice(0, count).sort((a, b) => a - b);
}

/**
 * `data inspect`: N random examples, rendered and tokenized as training will see them, with the trained tokens
 * marked. Inputs are data files, or a folder written by `data prepare` (its train.jsonl is read).
 */
export async function inspectData(inputs: readonly string[], options: InspectOptions): Promise<InspectedExample[]> {
  const tok = loadTokenizer(options.modelDir, { chatTemplate: options.chatTemplate });
  const count = options.sample ?? 3;
  const seed = options.seed ?? 0;
  if (inputs.length === 1 && statSync(inputs[0], { throwIfNoEntry: false })?.isDirectory()) {
    const file = path.join(inputs[0], "train.jsonl");
    const rows: Array<PreparedRecord & { line: number }> = [];
    for await (const row of readPreparedLines(file, tok.vocabSize)) rows.push(row);
    return sampleIndices(rows.length, count, seed).map((i) => example(tok, `${file}:${rows[i].line}`, Array.from(rows[i].inputIds), Array.from(rows[i].labels)));
  }
  const { records } = await loadRecords(inputs, options);
  return sampleIndices(records.length, count, seed).map((i) => {
    const r = records[i];
    const source = `${r.source.file}:${r.source.line}`;
    const result = tokenizeRecord(tok, r, options.trainOn ?? "all");
    if (!result.ok) return { source, tokens: 0, trainedTokens: 0, runs: [], error: result.message };
    return example(tok, source, result.inputIds, result.labels);
  });
}
