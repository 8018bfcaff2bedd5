import type { Model } from "../model/index.js";
import { InputError } from "../util/errors.js";
import { computeLoss, generate, makeBatch } from "../model/index.js";
import type { TrainRecord } from "./batches.js";
import type { GenerationScore } from "./eval-metrics.js";
import { scoreGeneration } from "./eval-metrics.js";

export interface RecordLoss {
  index: number;
  loss: number;
  targets: number;
}

/**
 * Loss of every record (mean CE over its counted targets) and the dataset's mean over all counted targets.
 * Data without a single trained target is an error naming `source`: it has no loss, not a perfect one.
 */
export function evaluateLoss(model: Model, records: readonly TrainRecord[], source?: string): { loss: number; perplexity: number; targets: number; perRecord: RecordLoss[] } {
  const perRecord: RecordLoss[] = [];
  let lossSum = 0;
  let targets = 0;
  records.forEach((r, index) => {
    const batch = makeBatch([{ inputIds: r.inputIds, labels: r.labels }]);
    const trained = r.labels.slice(1).some((l) => l !== -100);
    if (!trained) return;
    const result = computeLoss(model, batch);
    perRecord.push({ index, loss: result.loss, targets: result.count });
    lossSum += result.lossSum;
    targets += result.count;
  });
  if (targets === 0) {
    throw new InputError(`no trained tokens to evaluate (${records.length} records, every label -100)`, { file: source }, {
      hint: "evaluate on data with assistant turns or completions (a `data prepare` folder's val.jsonl is empty when val_fraction is 0)",
    });
  }
  const loss = lossSum / targets;
  return { loss, perplexity: Math.exp(loss), targets, perRecord };
}

/** A record split into its prompt (tokens before the first trained label) and its reference (the trained tokens). */
export function promptAndReference(r: TrainRecord): { prompt: number[]; reference: number[] } | undefined {
  const first = r.labels.findIndex((l, i) => i > 0 && l !== -100);
  if (first < 0) return undefined;
  const reference = Array.from(r.labels.slice(first)).filter((l) => l !== -100);
  return { prompt: Array.from(r.inputIds.slice(0, first)), reference };
}

export interface GenerationResult extends GenerationScore {
  index: number;
  output: string;
  reference: string;
}

/** Greedy generations for each record's prompt, scored against its reference. */
export function evaluateGenerations(
  model: Model,
  records: readonly TrainRecord[],
  decode: (ids: number[]) => string,
  options: { maxNewTokens: number; eosTokenIds: readonly number[] },
): GenerationResult[] {
  const out: GenerationResult[] = [];
  records.forEach((r, index) => {
    const split = promptAndReference(r);
    if (!split) return;
    const eos = new Set(options.eosTokenIds);
    const result = generate(model, split.prompt, { maxNewTokens: options.maxNewTokens, eosTokenIds: options.eosTokenIds });
    const output = decode(result.tokens.filter((id) => !eos.has(id)));
    const reference = decode(split.reference.filter((id) => !eos.has(id)));
    out.push({ index, output, reference, ...scoreGeneration(output, reference) });
  });
  return out;
}
