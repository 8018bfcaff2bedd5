import { createHash } from "node:crypto";
import { recordKeys, recordText } from "./record-keys.js";
import { jaccard, LshIndex, shingleSet, signature } from "./minhash.js";
import { ShingleStore } from "./shingle-store.js";
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

/** A survivor that another record copies (leakage across the split). */
export interface Copy {
  kind: "exact" | "near";
  source: SourceLocation;
  jaccard?: number;
}

/**
 * A fixed-size stand-in for a long key: equal digests mean equal keys. The first 128 bits of SHA-256, one
 * character per byte (a 16-character string is the smallest a Map key can be here); a collision is not a concern.
 */
function digest(key: string): string {
  return createHash("sha256").update(key).digest().toString("latin1", 0, 16);
}

/**
 * Streaming dedupe, one record at a time in input order: exact duplicates (the normalized record), then conflicts
 * (same prompt, different answer; both kept), then near-duplicates (MinHash + LSH, verified by exact Jaccard).
 * The survivor is always the first in input order, and each record is compared only with survivors. Per record it
 * holds only fixed-size keys (digests, LSH band keys, a source); shingle sets wait on disk (ShingleStore).
 * Every survivor is indexed (with near-dedupe off too), so leakage can be looked up; close() frees the index.
 */
export class Deduper {
  readonly report: DedupeReport = { exact: [], near: [], conflicts: [] };
  private readonly firstByKey = new Map<string, { source: SourceLocation; kept: boolean }>();
  private readonly firstByPrompt = new Map<string, { source: SourceLocation; answer: string }>();
  /** Survivors, by id (their order). */
  readonly survivors: NearDuplicateIndex = new NearDuplicateIndex();
  private readonly threshold: number;

  constructor(private readonly options: DedupeOptions = {}) {
    this.threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD;
  }

  /** True when the record survives (and is indexed, with the next survivor id). */
  add(record: TrainingRecord): boolean {
    const keys = recordKeys(record);
    const key = digest(keys.exact);
    const first = this.firstByKey.get(key);
    if (first) {
      this.report.exact.push({ kept: first.source, removed: record.source });
      return false;
    }
    const entry = { source: record.source, kept: false };
    this.firstByKey.set(key, entry);
    const pa = keys.prompt;
    if (pa) {
      const [prompt, answer] = [digest(pa.prompt), digest(pa.answer)];
      const firstAsked = this.firstByPrompt.get(prompt);
      if (!firstAsked) this.firstByPrompt.set(prompt, { source: record.source, answer });
      else if (firstAsked.answer !== answer) this.report.conflicts.push({ first: firstAsked.source, second: record.source });
    }
    const shingles = shingleSet(recordText(record));
    const sig = signature(shingles);
    if (this.options.nearDuplicates !== false) {
      const match = this.survivors.match(shingles, sig, this.threshold);
      if (match) {
        this.report.near.push({ kept: this.survivors.source(match.id), removed: record.source, jaccard: round(match.jaccard) });
        return false;
      }
    }
    this.survivors.insert(shingles, sig, record.source);
    entry.kept = true;
    return true;
  }

  /** The survivor a record copies: the same normalized record, else the first survivor at or above the threshold. */
  copyOf(record: TrainingRecord): Copy | undefined {
    const exact = this.firstByKey.get(digest(recordKeys(record).exact));
    if (exact?.kept) return { kind: "exact", source: exact.source };
    return this.nearCopy(shingleSet(recordText(record)));
  }

  /** The first other survivor that `accept`s and is a near copy of survivor `id` (its set read back from the store). */
  nearCopyOfSurvivor(id: number, accept: (other: number) => boolean): Copy | undefined {
    return this.nearCopy(this.survivors.shingles(id), accept);
  }

  private nearCopy(shingles: Uint32Array, accept?: (id: number) => boolean): Copy | undefined {
    const near = this.survivors.match(shingles, signature(shingles), this.threshold, accept);
    return near && { kind: "near", source: this.survivors.source(near.id), jaccard: round(near.jaccard) };
  }

  close(): void {
    this.survivors.close();
  }
}

/**
 * Removes duplicates from records in memory (see Deduper): exact, then conflicts reported, then near-duplicates.
 */
export function dedupe(records: readonly TrainingRecord[], options: DedupeOptions = {}): { kept: TrainingRecord[]; report: DedupeReport } {
  const deduper = new Deduper(options);
  try {
    const kept = records.filter((r) => deduper.add(r));
    return { kept, report: deduper.report };
  } finally {
    deduper.close();
  }
}

/**
 * Indexed shingle sets (on disk, see ShingleStore) with their LSH band keys and sources, queried for the first
 * indexed set at or above a Jaccard threshold. Ids are the insertion order.
 */
export class NearDuplicateIndex {
  private readonly lsh = new LshIndex();
  private readonly store = new ShingleStore();
  private readonly sources: SourceLocation[] = [];

  get size(): number {
    return this.sources.length;
  }

  insert(shingles: Uint32Array, sig: Uint32Array, source: SourceLocation): void {
    this.lsh.add(this.store.size, sig);
    this.store.add(shingles);
    this.sources.push(source);
  }

  shingles(id: number): Uint32Array {
    return this.store.get(id);
  }

  source(id: number): SourceLocation {
    return this.sources[id];
  }

  /** The first indexed set (that `accept` takes) at or above the threshold. */
  match(shingles: Uint32Array, sig: Uint32Array, threshold: number, accept: (id: number) => boolean = () => true): { id: number; jaccard: number } | undefined {
    for (const id of this.lsh.candidates(sig)) {
      if (!accept(id)) continue;
      const similarity = jaccard(shingles, this.store.get(id));
      if (similarity >= threshold) return { id, jaccard: similarity };
    }
    return undefined;
  }

  close(): void {
    this.store.close();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
