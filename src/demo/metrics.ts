import type { AnswerKey, OrderRecord } from "./dataset.js";
import { FIELD_KEYS, answerValue } from "./dataset.js";
import { parseJsonObject } from "../train/index.js";

/** Task metrics of the demo: share of outputs that parse as a JSON object, per-field accuracy, exact match. */
export interface ExtractionMetrics {
  records: number;
  jsonValid: number;
  exactMatch: number;
  /** Share of records whose field equals the reference, per key. */
  fields: Record<string, number>;
  /** Mean of the per-field accuracies. */
  fieldMean: number;
}

/** Scores predicted JSON texts against the records' answers (same order). */
export function scoreOutputs(outputs: readonly string[], records: readonly OrderRecord[], keys: readonly AnswerKey[] = FIELD_KEYS): ExtractionMetrics {
  const correct: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
  let valid = 0;
  let exact = 0;
  outputs.forEach((out, i) => {
    const got = parseJsonObject(out);
    if (!got) return;
    valid++;
    let all = Object.keys(got).length === keys.length;
    for (const k of keys) {
      if (got[k] === answerValue(records[i], k)) correct[k]++;
      else all = false;
    }
    if (all) exact++;
  });
  return summarize(records.length, valid, exact, correct, keys);
}

function summarize(n: number, valid: number, exact: number, correct: Record<string, number>, keys: readonly AnswerKey[]): ExtractionMetrics {
  const d = Math.max(1, n);
  const fields = Object.fromEntries(keys.map((k) => [k, correct[k] / d]));
  const fieldMean = keys.reduce((s, k) => s + fields[k], 0) / keys.length;
  return { records: n, jsonValid: valid / d, exactMatch: exact / d, fields, fieldMean };
}

/** The majority-class baseline: the most common training value of each answer key (ties: the first seen). */
export function majorityAnswer(train: readonly OrderRecord[], keys: readonly AnswerKey[] = FIELD_KEYS): Record<string, unknown> {
  const answer: Record<string, unknown> = {};
  for (const key of keys) {
    const counts = new Map<unknown, number>();
    for (const r of train) counts.set(answerValue(r, key), (counts.get(answerValue(r, key)) ?? 0) + 1);
    let best: unknown = answerValue(train[0], key);
    for (const [v, c] of counts) if (c > (counts.get(best) ?? 0)) best = v;
    answer[key] = best;
  }
  return answer;
}

/** Scores the baseline that answers `majorityAnswer(train)` for every test record (always valid JSON). */
export function baselineMetrics(train: readonly OrderRecord[], test: readonly OrderRecord[], keys: readonly AnswerKey[] = FIELD_KEYS): ExtractionMetrics {
  const answer = JSON.stringify(majorityAnswer(train, keys));
  return scoreOutputs(test.map(() => answer), test, keys);
}
