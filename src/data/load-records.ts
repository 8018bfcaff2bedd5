import { InputError } from "../util/errors.js";
import type { CleanOptions, RoleAliasCounts } from "./clean.js";
import { detectFormat, FORMAT_EXPECTATIONS, toRecord } from "./formats.js";
import type { DataProgressListener } from "./progress.js";
import { readRows } from "./readers/index.js";
import type { DataFormat, Problem, TrainingRecord } from "./types.js";

export interface LoadOptions extends CleanOptions {
  /** Skip detection and read every file as this format. */
  format?: DataFormat;
  /** Told of the rows read, every 1000 and at the end. */
  onProgress?: DataProgressListener;
}

export interface FileSummary {
  file: string;
  format?: DataFormat;
  rows: number;
  valid: number;
}

export interface LoadedData {
  /** Valid records, files in the given order, rows in file order. */
  records: TrainingRecord[];
  /** Every row-level problem (malformed lines, wrong types, missing fields, …). */
  problems: Problem[];
  files: FileSummary[];
  /** Role names mapped to a canonical role (gpt → assistant, …), with how many messages used each. */
  roleAliases: RoleAliasCounts;
}

/** What reading found besides the records: row problems, per-file summaries, the role aliases mapped. */
export type ReadFindings = Omit<LoadedData, "records">;

export function emptyFindings(): ReadFindings {
  return { problems: [], files: [], roleAliases: {} };
}

/**
 * Reads, detects, cleans and validates every file, yielding valid records as they come (files in the given order,
 * rows in file order) and adding everything else to `findings`. Problems with a whole file (missing, empty,
 * binary, no column that matches a format) are thrown as InputError; row problems are collected, never thrown.
 */
export async function* readRecords(files: readonly string[], options: LoadOptions = {}, findings = emptyFindings()): AsyncGenerator<TrainingRecord> {
  let read = 0;
  for (const file of files) {
    const summary: FileSummary = { file, format: options.format, rows: 0, valid: 0 };
    for await (const row of readRows(file)) {
      summary.rows++;
      if (++read % 1000 === 0) options.onProgress?.({ phase: "read", records: read, done: false });
      if (row instanceof InputError) {
        findings.problems.push({ file, line: row.line ?? 0, field: row.field, message: stripLocation(row) });
        continue;
      }
      summary.format ??= detectFormat(row.value);
      if (!summary.format) {
        const keys = row.value && typeof row.value === "object" ? Object.keys(row.value).join(", ") : typeof row.value;
        throw new InputError(`the first record's fields (${keys}) match no data format; expected ${FORMAT_EXPECTATIONS}`, {
          file,
          line: row.line,
        }, { hint: "rename the columns/keys, or pass --format to say which format the file holds" });
      }
      const converted = toRecord(row, summary.format, options, findings.roleAliases);
      if ("problems" in converted) findings.problems.push(...converted.problems);
      else {
        summary.valid++;
        yield converted.record;
      }
    }
    findings.files.push(summary);
  }
  options.onProgress?.({ phase: "read", records: read, done: true });
}

/** Every valid record of the files in memory, with what reading found (see readRecords). */
export async function loadRecords(files: readonly string[], options: LoadOptions = {}): Promise<LoadedData> {
  const findings = emptyFindings();
  const records: TrainingRecord[] = [];
  for await (const record of readRecords(files, options, findings)) records.push(record);
  return { records, ...findings };
}

/** The message of a located InputError without the "file, line N: " prefix (the Problem carries both). */
function stripLocation(err: InputError): string {
  const prefix = [err.file, err.line !== undefined ? `line ${err.line}` : undefined, err.field].filter(Boolean).join(", ");
  return prefix && err.message.startsWith(`${prefix}: `) ? err.message.slice(prefix.length + 2) : err.message;
}
