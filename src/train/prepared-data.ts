import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { InputError } from "../util/errors.js";
import type { TrainRecord } from "./batches.js";

/** True when `dir` is a folder written by `loraforge data prepare` (train.jsonl inside). */
export function isPreparedFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, "train.jsonl")) && fs.statSync(dir).isDirectory();
}

/** True when `file` is JSONL whose first record holds `input_ids` (already tokenized). */
export function isPreparedFile(file: string): boolean {
  if (!file.endsWith(".jsonl") || !fs.existsSync(file) || !fs.statSync(file).isFile()) return false;
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return /^\s*\{\s*"input_ids"\s*:/.test(head.subarray(0, n).toString("utf8"));
  } finally {
    fs.closeSync(fd);
  }
}

function parseRecord(line: string, file: string, lineNo: number, vocabSize: number): TrainRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new InputError("not valid JSON", { file, line: lineNo }, { hint: "re-run `loraforge data prepare`" });
  }
  const obj = value as { input_ids?: unknown; labels?: unknown };
  const ids = obj?.input_ids;
  const labels = obj?.labels;
  if (!Array.isArray(ids) || ids.length === 0) throw new InputError("expected a non-empty array of token ids", { file, line: lineNo, field: "input_ids" });
  if (!Array.isArray(labels) || labels.length !== ids.length) {
    throw new InputError(`expected an array of ${ids.length} labels (one per input id)`, { file, line: lineNo, field: "labels" });
  }
  const inputIds = Int32Array.from(ids as number[]);
  const labelIds = Int32Array.from(labels as number[]);
  for (let i = 0; i < inputIds.length; i++) {
    if (!Number.isInteger(ids[i]) || inputIds[i] < 0 || inputIds[i] >= vocabSize) {
      throw new InputError(`token id ${String(ids[i])} at position ${i} is outside the model's vocabulary (${vocabSize})`, { file, line: lineNo, field: "input_ids" });
    }
    if (!Number.isInteger(labels[i]) || (labelIds[i] !== -100 && (labelIds[i] < 0 || labelIds[i] >= vocabSize))) {
      throw new InputError(`label ${String(labels[i])} at position ${i} is neither -100 nor a token id`, { file, line: lineNo, field: "labels" });
    }
  }
  return { inputIds, labels: labelIds };
}

/** Reads a prepared JSONL file ({"input_ids": [...], "labels": [...]} per line), streaming it line by line. */
export async function readPreparedFile(file: string, vocabSize: number): Promise<TrainRecord[]> {
  if (!fs.existsSync(file)) throw new InputError("file not found", { file });
  const records: TrainRecord[] = [];
  const lines = readline.createInterface({ input: fs.createReadStream(file, "utf8"), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    records.push(parseRecord(line, file, lineNo, vocabSize));
  }
  return records;
}
