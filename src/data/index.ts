/**
 * Dataset preparation: read (.jsonl/.json/.csv/.parquet), detect the format, validate, clean, dedupe, split,
 * template, tokenize with loss masks, truncate and write.
 *
 *   await prepareDataset(["chat.jsonl"], { modelDir, outDir });   // train.jsonl, val.jsonl, report.json (cached)
 *   await checkData(["chat.jsonl"], { modelDir });                  // the same findings, nothing written
 *   await inspectData(["chat.jsonl"], { modelDir, sample: 5 });     // examples with trained runs marked
 *   await loadRecords(files)                                        // → { records: TrainingRecord[], problems }
 */
export { prepareDataset, DEFAULT_MAX_SEQ_LENGTH, type PrepareOptions, type PrepareResult } from "./prepare.js";
export { checkData, type CheckOptions, type CheckReport } from "./check.js";
export { inspectData, type InspectOptions, type InspectedExample } from "./inspect.js";
export { analyzeData, DEFAULT_SEED, type AnalyzeOptions, type AnalyzedData } from "./analyze.js";
export { loadRecords, type LoadOptions, type LoadedData } from "./load-records.js";
export { dedupe, DEFAULT_NEAR_DUPLICATE_THRESHOLD, type DedupeOptions, type DedupeReport } from "./dedupe.js";
export { heldOutIndices, splitRecords, findLeakage, DEFAULT_VAL_FRACTION, type SplitOptions, type LeakagePair } from "./split.js";
export { type PolicyOutcome, type TruncationReport } from "./truncation-report.js";
export { TRUNCATION_POLICIES, DEFAULT_TRUNCATION, emptyTruncationCounts, truncate, type TruncationCounts, type TruncationPolicy } from "./truncate.js";
export { ASSISTANT_FIRST_POLICIES, DEFAULT_ASSISTANT_FIRST, applyAssistantFirst, type AssistantFirstPolicy, type AssistantFirstReport } from "./assistant-first.js";
export { type DataProgressEvent, type DataProgressListener } from "./progress.js";
export { histogramLines, type LengthStats } from "./length-stats.js";
export { DATA_FORMATS, formatProblem, type DataFormat, type Problem, type TrainingRecord, type SourceLocation } from "./types.js";
export { writePreparedJsonl } from "./prepared-writer.js";
export { isPreparedFile, isPreparedFolder, parsePreparedLine, readPreparedFile, readPreparedLines, type PreparedRecord } from "./prepared-data.js";
