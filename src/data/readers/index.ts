import { stat } from "node:fs/promises";
import path from "node:path";
import { InputError } from "../../util/errors.js";
import type { RawRow } from "../types.js";
import { readCsv } from "./csv.js";
import { readJsonArray } from "./json.js";
import { readJsonl } from "./jsonl.js";
import { readParquet } from "./parquet.js";
import { assertTextFile } from "./text-input.js";

export const SUPPORTED_EXTENSIONS = [".jsonl", ".json", ".csv", ".parquet"];

/**
 * The raw rows of one data file, by extension. Per-row problems (a malformed line) come as InputError values
 * in the stream; problems with the whole file (missing, empty, binary) are thrown.
 */
export async function* readRows(file: string): AsyncGenerator<RawRow | InputError> {
  const ext = path.extname(file).toLowerCase();
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a regular file");
    size = info.size;
  } catch (err) {
    throw new InputError(`cannot read: ${(err as Error).message}`, { file });
  }
  if (!SUPPORTED_EXTENSIONS.includes(ext)) {
    throw new InputError(`unsupported file type "${ext || "(none)"}"`, { file }, {
      hint: `data files must end in ${SUPPORTED_EXTENSIONS.join(", ")}`,
    });
  }
  if (size === 0) throw new InputError("the file is empty", { file });
  if (ext !== ".parquet") await assertTextFile(file);
  let rows = 0;
  const source = ext === ".jsonl" ? readJsonl(file) : ext === ".json" ? readJsonArray(file) : ext === ".csv" ? readCsv(file) : readParquet(file);
  for await (const row of source) {
    rows++;
    yield row;
  }
  if (rows === 0) throw new InputError("the file holds no records", { file });
}
