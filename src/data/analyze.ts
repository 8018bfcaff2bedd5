import { DEFAULT_ASSISTANT_FIRST, openingPolicy, type AssistantFirstPolicy, type AssistantFirstReport } from "./assistant-first.js";
import type { RoleAliasCounts } from "./clean.js";
import { Deduper, DEFAULT_NEAR_DUPLICATE_THRESHOLD, type DedupeReport } from "./dedupe.js";
import { emptyFindings, readRecords, type FileSummary, type LoadOptions } from "./load-records.js";
import { heldOutIndices, leakagePair, type LeakagePair } from "./split.js";
import { RecordStatuses } from "./record-statuses.js";
import { InputError } from "../util/errors.js";
import type { DataFormat, Problem, TrainingRecord } from "./types.js";

export const DEFAULT_SEED = 42;

export interface AnalyzeOptions extends LoadOptions {
  /** Records of this file form the validation split (no random split). */
  valFile?: string;
  valFraction?: number;
  valSize?: number;
  seed?: number;
  /** Near-duplicate Jaccard threshold (default 0.9); `nearDuplicates: false` turns the search off. */
  threshold?: number;
  nearDuplicates?: boolean;
  /** Conversations that start with a trained assistant turn: keep, drop, or train only later turns (default). */
  assistantFirst?: AssistantFirstPolicy;
}

/** A record that survived, with the split it belongs to. */
export interface SplitRecord {
  record: TrainingRecord;
  split: "train" | "val";
}

export interface AnalyzedData {
  files: FileSummary[];
  problems: Problem[];
  duplicates: DedupeReport;
  leakage: LeakagePair[];
  assistantFirst: AssistantFirstReport;
  roleAliases: RoleAliasCounts;
  /** Records in each split. */
  split: { train: number; val: number };
  /** Records per format in both splits, and how many are conversations (they need a chat template). */
  formats: Partial<Record<DataFormat, number>>;
  conversations: number;
  /**
   * The records of both splits in input order (the files, then the validation file), read again from the files:
   * analysis keeps only fixed-size facts per record, never the records (docs/data.md, "Memory").
   */
  records(): AsyncGenerator<SplitRecord>;
}

/** Every file analyzeData reads: the inputs, then the held-out validation file if there is one. */
export function analyzedFiles(files: readonly string[], options: Pick<AnalyzeOptions, "valFile">): readonly string[] {
  return options.valFile !== undefined ? [...files, options.valFile] : files;
}

/**
 * Read + validate + clean, dedupe (exact → conflicts → near), split, and find train/validation leakage, in one
 * streaming pass that keeps a status byte and fixed-size keys per record; records() streams the survivors again.
 */
export async function analyzeData(files: readonly string[], options: AnalyzeOptions = {}): Promise<AnalyzedData> {
  const threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD;
  const dedupeOptions = { threshold, nearDuplicates: options.nearDuplicates };
  const policy = options.assistantFirst ?? DEFAULT_ASSISTANT_FIRST;
  const findings = emptyFindings();
  const assistantFirst: AssistantFirstReport = { policy, records: [], dropped: 0 };
  const formats: AnalyzedData["formats"] = {};
  let conversations = 0;
  const count = (r: TrainingRecord) => {
    formats[r.format] = (formats[r.format] ?? 0) + 1;
    if (r.kind === "chat") conversations++;
  };
  const scan = async (inputs: readonly string[], deduper: Deduper, onSurvivor: (r: TrainingRecord) => void) => {
    const statuses = new RecordStatuses();
    for await (const record of readRecords(inputs, options, findings)) {
      const opened = openingPolicy(record, policy, assistantFirst);
      const kept = opened !== undefined && deduper.add(opened);
      statuses.push(kept ? "train" : "removed"); // kept ones get their split below, once the survivors are counted
      if (kept) onSurvivor(opened);
    }
    return statuses;
  };
  const main = new Deduper(dedupeOptions);
  const held = options.valFile !== undefined ? new Deduper(dedupeOptions) : undefined;
  try {
    const leakage: LeakagePair[] = [];
    const mainStatuses = await scan(files, main, count);
    let valStatuses: RecordStatuses | undefined;
    let valCount: number;
    if (held) {
      // After near-dedupe, survivors are pairwise below the threshold, so a random split of them cannot leak;
      // a separate validation file can.
      valStatuses = await scan([options.valFile!], held, (r) => {
        count(r);
        const copy = main.copyOf(r);
        if (copy) leakage.push(leakagePair(r.source, copy));
      });
      valStatuses.markSurvivors(() => true);
      valCount = held.survivors.size;
    } else {
      const isVal = heldOutIndices(main.survivors.size, { valFraction: options.valFraction, valSize: options.valSize, seed: options.seed ?? DEFAULT_SEED });
      mainStatuses.markSurvivors((k) => isVal.has(k));
      valCount = isVal.size;
      // With near-dedupe off, a random split can leak near copies.
      if (options.nearDuplicates === false) {
        for (const id of [...isVal].sort((a, b) => a - b)) {
          const copy = main.nearCopyOfSurvivor(id, (other) => !isVal.has(other));
          if (copy) leakage.push(leakagePair(main.survivors.source(id), copy));
        }
      }
    }
    const duplicates = held ? mergeReports(main.report, held.report) : main.report;
    const sources = [{ files, statuses: mainStatuses }, ...(valStatuses ? [{ files: [options.valFile!], statuses: valStatuses }] : [])];
    return {
      ...findings,
      duplicates,
      leakage,
      assistantFirst,
      split: { train: main.survivors.size - (held ? 0 : valCount), val: valCount },
      formats,
      conversations,
      records: replayer(sources, { ...options, onProgress: undefined }, policy),
    };
  } finally {
    main.close();
    held?.close();
  }
}

function mergeReports(a: DedupeReport, b: DedupeReport): DedupeReport {
  return { exact: [...a.exact, ...b.exact], near: [...a.near, ...b.near], conflicts: [...a.conflicts, ...b.conflicts] };
}

/**
 * records() of the analysis, built out here so that its closure holds only the statuses (a closure made inside
 * analyzeData would keep that function's whole scope, the dedupe index included, alive while records stream).
 */
function replayer(sources: Array<{ files: readonly string[]; statuses: RecordStatuses }>, options: LoadOptions, policy: AssistantFirstPolicy): () => AsyncGenerator<SplitRecord> {
  return async function* () {
    for (const { files, statuses } of sources) yield* replay(files, options, statuses, policy);
  };
}

/** The survivors of `files` read again, each with its split; the same policy gives the same records as the scan. */
async function* replay(files: readonly string[], options: LoadOptions, statuses: RecordStatuses, policy: AssistantFirstPolicy): AsyncGenerator<SplitRecord> {
  let i = 0;
  for await (const record of readRecords(files, options)) {
    const status = i < statuses.length ? statuses.get(i) : undefined;
    i++;
    if (status === "removed") continue;
    const opened = status && openingPolicy(record, policy);
    if (!opened) throw changedWhileRead(files);
    yield { record: opened, split: status };
  }
  if (i !== statuses.length) throw changedWhileRead(files);
}

function changedWhileRead(files: readonly string[]): InputError {
  return new InputError("the data changed while it was being prepared (its records differ from the first read)", { file: files.join(", ") }, {
    hint: "run again once nothing writes to the file",
  });
}
