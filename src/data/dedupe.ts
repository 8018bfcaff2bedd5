import { exactKey, promptAndAnswer, recordText } from "./record-keys.js";
import { jaccard, LshIndex, shingleSet, signature } from "./minhash.js";
import type { SourceLocation, TrainingRecord } from "./types.js";

export const DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.9;

export interface DedupeOptions {
  /** Jaccard similarity of word-3-gram shingle sets at or above which a record is a near-duplicate (default 0.9). */
  threshold?: number;
  /** Set false to skip near-duplicate detection. */
  nearDuplicates?: boolean;
}

export interface DuplicatePair {
  kept: SourceLocation;
  removed: SourceLocation;
  jaccard?: number;
}

export interface DedupeReport {
  exact: DuplicatePair[];
  near: DuplicatePair[];
  /** The same prompt (with at least one user turn) with different answers: both records are kept. */
  conflicts: Array<{ first: SourceLocation; second: SourceLocation }>;
}

/**
 * Removes duplicates in this order: exact duplicates (the normalized record), then reports conflicts (same
 * prompt, different answer; both kept), then near-duplicates (MinHash + LSH, verified by exact Jaccard).
 * The survivor is always the first in input order, and each record is compared only with survivors.
 */
export function dedupe(records: readonly TrainingRecord[], options: DedupeOptions = {}): { kept: TrainingRecord[]; report: DedupeReport } {
  const report: DedupeReport = { exact: [], near: [], conflicts: [] };
  const firstByKey = new Map<string, TrainingRecord>();
  const unique: TrainingRecord[] = [];
  for (const record of records) {
    const key = exactKey(record);
    const first = firstByKey.get(key);
    if (first) {
      report.exact.push({ kept: first.source, removed: record.source });
    } else {
      firstByKey.set(key, record);
      unique.push(record);
    }
  }

  const firstByPrompt = new Map<string, { record: TrainingRecord; answer: string }>();
  for (const record of unique) {
    const pa = promptAndAnswer(record);
    if (!pa) continue;
    const first = firstByPrompt.get(pa.prompt);
    if (!first) firstByPrompt.set(pa.prompt, { record, answer: pa.answer });
    else if (first.answer !== pa.answer) report.conflicts.push({ first: first.record.source, second: record.source });
  }

  if (options.nearDuplicates === false) return { kept: unique, report };
  const threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD;
  const near = new NearDuplicateIndex();
  const kept: TrainingRecord[] = [];
  for (const record of unique) {
    const match = near.findOrAdd(recordText(record), threshold);
    if (match) report.near.push({ kept: kept[match.id].source, removed: record.source, jaccard: round(match.jaccard) });
    else kept.push(record);
  }
  return { kept, report };
}

/**
 * Survivors' signatures, queried before a new record joins. Only signatures are kept; a candidate's shingle
 * set is recomputed from its text for the exact check (candidates are rare, and 100k shingle sets are large).
 */
export class NearDuplicateIndex {
  private readonly lsh = new LshIndex();
  private readonly texts: string[] = [];

  /** The first indexed text at or above the threshold; when there is none, the text is indexed. */
  findOrAdd(text: string, threshold: number): { id: number; jaccard: number } | undefined {
    const shingles = shingleSet(text);
    const sig = signature(shingles);
    const match = this.match(shingles, sig, threshold);
    if (!match) this.insert(text, sig);
    return match;
  }

  /** Indexes a text unconditionally; its id is the number of texts indexed before it. */
  add(text: string): void {
    this.insert(text, signature(shingleSet(text)));
  }

  private insert(text: string, sig: Uint32Array): void {
    this.lsh.add(this.texts.length, sig);
    this.texts.push(text);
  }

  /** The first indexed text at or above the threshold, without indexing this one. */
  find(text: string, threshold: number): { id: number; jaccard: number } | undefined {
    const shingles = shingleSet(text);
    return this.match(shingles, signature(shingles), threshold);
  }

  private match(shingles: Uint32Array, sig: Uint32Array, threshold: number): { id: number; jaccard: number } | undefined {
    for (const id of this.lsh.candidates(sig)) {
      const similarity = jaccard(shingles, shingleSet(this.texts[id]));
      if (similarity >= threshold) return { id, jaccard: similarity };
    }
    return undefined;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
