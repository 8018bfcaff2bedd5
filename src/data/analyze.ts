import { applyAssistantFirst, DEFAULT_ASSISTANT_FIRST, type AssistantFirstPolicy, type AssistantFirstReport } from "./assistant-first.js";
import { countAlias, type RoleAliasCounts } from "./clean.js";
import { dedupe, DEFAULT_NEAR_DUPLICATE_THRESHOLD, type DedupeReport } from "./dedupe.js";
import { loadRecords, type FileSummary, type LoadOptions } from "./load-records.js";
import { findLeakage, splitRecords, type LeakagePair } from "./split.js";
import type { Problem, TrainingRecord } from "./types.js";

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

export interface AnalyzedData {
  files: FileSummary[];
  problems: Problem[];
  duplicates: DedupeReport;
  train: TrainingRecord[];
  val: TrainingRecord[];
  leakage: LeakagePair[];
  assistantFirst: AssistantFirstReport;
  roleAliases: RoleAliasCounts;
}

/** Read + validate + clean, dedupe (exact → conflicts → near), split, and find train/validation leakage. */
export async function analyzeData(files: readonly string[], options: AnalyzeOptions = {}): Promise<AnalyzedData> {
  const threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD;
  const dedupeOptions = { threshold, nearDuplicates: options.nearDuplicates };
  const policy = options.assistantFirst ?? DEFAULT_ASSISTANT_FIRST;
  const loaded = await loadRecords(files, options);
  const opening = applyAssistantFirst(loaded.records, policy);
  const { kept, report } = dedupe(opening.kept, dedupeOptions);
  let train: TrainingRecord[];
  let val: TrainingRecord[];
  let summaries = loaded.files;
  let problems = loaded.problems;
  if (options.valFile !== undefined) {
    const held = await loadRecords([options.valFile], options);
    for (const [name, { role, count }] of Object.entries(held.roleAliases)) countAlias(loaded.roleAliases, name, role, count);
    const heldOpening = applyAssistantFirst(held.records, policy);
    opening.report.records.push(...heldOpening.report.records);
    opening.report.dropped += heldOpening.report.dropped;
    const heldOut = dedupe(heldOpening.kept, dedupeOptions);
    [train, val] = [kept, heldOut.kept];
    summaries = [...summaries, ...held.files];
    problems = [...problems, ...held.problems];
    report.exact.push(...heldOut.report.exact);
    report.near.push(...heldOut.report.near);
    report.conflicts.push(...heldOut.report.conflicts);
  } else {
    ({ train, val } = splitRecords(kept, { valFraction: options.valFraction, valSize: options.valSize, seed: options.seed ?? DEFAULT_SEED }));
  }
  // After near-dedupe, survivors are pairwise below the threshold, so a random split of them cannot leak;
  // only a separate validation file (or dedupe turned off) can.
  const canLeak = options.valFile !== undefined || options.nearDuplicates === false;
  const leakage = canLeak ? findLeakage(train, val, threshold) : [];
  return { files: summaries, problems, duplicates: report, train, val, leakage, assistantFirst: opening.report, roleAliases: loaded.roleAliases };
}
