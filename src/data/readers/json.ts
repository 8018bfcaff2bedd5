import { readFile } from "node:fs/promises";
import { InputError } from "../../util/errors.js";
import type { RawRow } from "../types.js";
import { stripBom } from "./text-input.js";

/**
 * A .json file: an array of records, or an object holding exactly one array (e.g. {"data": [...]}).
 * "line" is the 1-based element index. The file is parsed whole (JSON arrays are not line-delimited).
 */
export async function* readJsonArray(file: string): AsyncGenerator<RawRow> {
  const text = stripBom(await readFile(file, "utf8"));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`malformed JSON: ${(err as Error).message}`, { file }, {
      hint: "a .json file must hold one JSON array of records (use .jsonl for one record per line)",
    });
  }
  let rows: unknown[] | undefined = Array.isArray(value) ? value : undefined;
  if (!rows && value !== null && typeof value === "object") {
    const arrays = Object.values(value).filter(Array.isArray);
    if (arrays.length === 1) rows = arrays[0] as unknown[];
  }
  if (!rows) {
    throw new InputError("expected a JSON array of records, or an object holding one array", { file });
  }
  for (let i = 0; i < rows.length; i++) yield { file, line: i + 1, value: rows[i] };
}
