/**
 * Task metrics of greedy generations against references: exact match, and for JSON targets the share of
 * outputs that parse and the share of fields that equal the reference's.
 */
export interface GenerationScore {
  exactMatch: boolean;
  /** Present when the reference is a JSON object. */
  json?: { parses: boolean; fieldsMatched: number; fields: number };
}

/** The text as a JSON object, or undefined when it is not one (arrays and scalars included). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text.trim()) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function scoreGeneration(output: string, reference: string): GenerationScore {
  const score: GenerationScore = { exactMatch: output.trim() === reference.trim() };
  const ref = parseJsonObject(reference);
  if (!ref) return score;
  const got = parseJsonObject(output);
  const keys = Object.keys(ref);
  const matched = got ? keys.filter((k) => JSON.stringify(got[k]) === JSON.stringify(ref[k])).length : 0;
  score.json = { parses: got !== undefined, fieldsMatched: matched, fields: keys.length };
  return score;
}

export interface GenerationSummary {
  records: number;
  exactMatch: number;
  /** Among records whose reference is JSON. */
  jsonRecords: number;
  jsonValid: number;
  fieldAccuracy: number;
}

export function summarizeScores(scores: readonly GenerationScore[]): GenerationSummary {
  const json = scores.filter((s) => s.json);
  const fields = json.reduce((n, s) => n + s.json!.fields, 0);
  return {
    records: scores.length,
    exactMatch: scores.filter((s) => s.exactMatch).length / Math.max(1, scores.length),
    jsonRecords: json.length,
    jsonValid: json.filter((s) => s.json!.parses).length / Math.max(1, json.length),
    fieldAccuracy: json.reduce((n, s) => n + s.json!.fieldsMatched, 0) / Math.max(1, fields),
  };
}
