import type { OrderFields, OrderRecord } from "./dataset.js";
import { FIELD_KEYS } from "./dataset.js";
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

/** Scores predicted JSON texts against the records' fields (same order). */
export function scoreOutputs(outputs: readonly string[], records: readonly OrderRecord[]): ExtractionMetrics {
  const correct: Record<string, number> = Object.fromEntries(FIELD_KEYS.map((k) => [k, 0]));
  let valid = 0;
  let exact = 0;
  outputs.forEach((out, i) => {
    const got = parseJsonObject(out);
    if (!got) return;
    valid++;
    const ref = records[i].fields;
    let all = Object.keys(got).length === FIELD_KEYS.length;
    for (const k of FIELD_KEYS) {
      if (got[k] === ref[k]) correct[k]++;
      else all = false;
    }
    if (all) exact++;
  });
  return summarize(records.length, valid, exact, correct);
}

function summarize(n: number, valid: number, exact: number, correct: Record<string, number>): ExtractionMetrics {
  const d = Math.max(1, n);
  const fields = Object.fromEntries(FIELD_KEYS.map((k) => [k, correct[k] / d]));
  const fieldMean = FIELD_KEYS.reduce((s, k) => s + fields[k], 0) / FIELD_KEYS.length;
  return { records: n, jsonValid: valid / d, exactMatch: exact / d, fields, fieldMean };
}

/** The majority-class baseline: the most common training value of each field (ties: the first seen). */
export function majorityAnswer(train: readonly OrderRecord[]): OrderFields {
  const answer: Record<string, unknown> = {};
  for (const key of FIELD_KEYS) {
    const counts = new Map<unknown, number>();
    for (const r of train) counts.set(r.fields[key], (counts.get(r.fields[key]) ?? 0) + 1);
    let best: unknown = train[0].fields[key];
    for (const [v, c] of counts) if (c > (counts.get(best) ?? 0)) best = v;
    answer[key] = best;
  }
  return answer as unknown as OrderFields;
}

/** Scores the baseline that answers `majorityAnswer(train)` for every test record (always valid JSON). */
export function baselineMetrics(train: readonly OrderRecord[], test: readonly OrderRecord[]): ExtractionMetrics {
  const answer = JSON.stringify(majorityAnswer(train));
  return scoreOutputs(test.map(() => answer), test);
}
