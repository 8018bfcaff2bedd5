import { emptyTruncationCounts, truncate } from "../data/index.js";
import type { TrainRecord } from "./batches.js";
import type { TrainConfig } from "./config-schema.js";

/**
 * Applies the data pipeline's truncation policy to records longer than max_seq_length (prepared data made with a
 * larger limit); returns how many were over the limit.
 */
export function truncateRecords(records: readonly TrainRecord[], config: TrainConfig): { kept: TrainRecord[]; truncated: number } {
  const counts = emptyTruncationCounts();
  const kept: TrainRecord[] = [];
  for (const r of records) {
    if (r.inputIds.length <= config.max_seq_length) {
      kept.push(r);
      continue;
    }
    const cut = truncate({ inputIds: Array.from(r.inputIds), labels: Array.from(r.labels) }, config.max_seq_length, config.data.truncation, new Set(), counts);
    if (cut) kept.push({ inputIds: Int32Array.from(cut.inputIds), labels: Int32Array.from(cut.labels) });
  }
  return { kept, truncated: counts.overLength };
}
