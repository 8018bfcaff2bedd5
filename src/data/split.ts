import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { Deduper, type Copy } from "./dedupe.js";
import type { SourceLocation, TrainingRecord } from "./types.js";

export const DEFAULT_VAL_FRACTION = 0.05;

export interface SplitOptions {
  /** Share of records held out (default 0.05; 0 allowed). Ignored when valSize is set. */
  valFraction?: number;
  /** Exact number of records held out. */
  valSize?: number;
  seed: number;
}

/**
 * The split rule, shared by `data prepare` and training on prepared files: which of `count` records are held out —
 * the first round(count × valFraction) (or valSize) of a seeded shuffle. Same count, options and seed, same set.
 */
export function heldOutIndices(count: number, options: SplitOptions): Set<number> {
  const fraction = options.valFraction ?? DEFAULT_VAL_FRACTION;
  if (!(fraction >= 0 && fraction < 1)) throw new ConfigError(`the validation fraction must be in [0, 1), got ${fraction}`);
  const size = options.valSize ?? Math.round(count * fraction);
  if (!Number.isInteger(size) || size < 0 || (size > 0 && size >= count)) {
    throw new ConfigError(`a validation split of ${size} records needs more than the ${count} records there are`, {
      hint: "lower the validation share (--val-fraction / --val-size, or data.val_fraction in a training config)",
    });
  }
  const order = new Rng(options.seed).shuffle([...Array(count).keys()]);
  return new Set(order.slice(0, size));
}

/** A seeded, deterministic train/validation split (heldOutIndices); both parts keep input order. */
export function splitRecords<T>(records: readonly T[], options: SplitOptions): { train: T[]; val: T[] } {
  const isVal = heldOutIndices(records.length, options);
  return {
    train: records.filter((_, i) => !isVal.has(i)),
    val: records.filter((_, i) => isVal.has(i)),
  };
}

export interface LeakagePair {
  val: SourceLocation;
  train: SourceLocation;
  kind: "exact" | "near";
  jaccard?: number;
}

/** Validation records that are exact or near duplicates of training records (they inflate validation scores). */
export function findLeakage(train: readonly TrainingRecord[], val: readonly TrainingRecord[], threshold: number): LeakagePair[] {
  const trainIndex = new Deduper({ threshold, nearDuplicates: false });
  try {
    for (const r of train) trainIndex.add(r);
    return val.flatMap((r) => {
      const copy = trainIndex.copyOf(r);
      return copy ? [leakagePair(r.source, copy)] : [];
    });
  } finally {
    trainIndex.close();
  }
}

export function leakagePair(val: SourceLocation, copy: Copy): LeakagePair {
  return { val, train: copy.source, kind: copy.kind, ...(copy.jaccard === undefined ? {} : { jaccard: copy.jaccard }) };
}
