import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { InputError } from "../util/errors.js";

/** One line of a prepared file: token ids and their labels (−100 = not trained). */
export interface PreparedRecord {
  inputIds: Int32Array;
  labels: Int32Array;
}

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

/** Parses and checks one prepared line; ids must lie in [0, vocabSize) (any non-negative id when it is unknown). */
export function parsePreparedLine(line: string, file: string, lineNo: number, vocabSize = Infinity): PreparedRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new InputError("not valid JSON", { file, line: lineNo }, { hint: "re-run `loraforge data prepare`" });
  }
  const obj = value as { input_ids?: unknown; labels?: unknown } | null;
  const ids = obj?.input_ids;
  const labels = obj?.labels;
  if (!Array.isArray(ids) || ids.length === 0) throw new InputError("expected a non-empty array of token ids", { file, line: lineNo, field: "input_ids" });
  if (!Array.isArray(labels) || labels.length !== ids.length) {
    throw new InputError(`expected an array of ${ids.length} labels (one per input id)`, { file, line: lineNo, field: "labels" });
  }
  const inputIds = new Int32Array(ids.length);
  const labelIds = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    const label: unknown = labels[i];
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) {
      const range = Number.isFinite(vocabSize) ? `outside the model's vocabulary (${vocabSize})` : "not a token id";
      throw new InputError(`token id ${String(id)} at position ${i} is ${range}`, { file, line: lineNo, field: "input_ids" });
    }
    if (!Number.isInteger(label) || (label !== -100 && ((label as number) < 0 || (label as number) >= vocabSize))) {
      throw new InputError(`label ${String(label)} at position ${i} is neither -100 nor a token id`, { file, line: lineNo, field: "labels" });
    }
    inputIds[i] = id as number;
    labelIds[i] = label as number;
  }
  return { inputIds, labels: labelIds };
}

/** Streams a prepared JSONL file ({"input_ids": [...], "labels": [...]} per line) with each record's line number. */
export async function* readPreparedLines(file: string, vocabSize?: number): AsyncGenerator<PreparedRecord & { line: number }> {
  if (!fs.existsSync(file)) throw new InputError("file not found", { file });
  const lines = readline.createInterface({ input: fs.createReadStream(file, "utf8"), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    yield { line: lineNo, ...parsePreparedLine(line, file, lineNo, vocabSize) };
  }
}

/** Reads a whole prepared JSONL file. */
export async function readPreparedFile(file: string, vocabSize?: number): Promise<PreparedRecord[]> {
  const records: PreparedRecord[] = [];
  for await (const { inputIds, labels } of readPreparedLines(file, vocabSize)) records.push({ inputIds, labels });
  return records;
}
