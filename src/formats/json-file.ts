import fs from "node:fs";
import { InputError } from "../util/errors.js";

/** Reads a JSON file; a missing file or bad JSON is an InputError naming the file. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? "file not found" : `cannot read (${code ?? (err as Error).message})`, { file });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`malformed JSON: ${(err as Error).message}`, { file });
  }
}

/** Like readJsonFile, but the file must hold a JSON object. */
export function readJsonObject(file: string): Record<string, unknown> {
  const value = readJsonFile(file);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError("expected a JSON object", { file });
  }
  return value as Record<string, unknown>;
}

/** JSON as transformers and PEFT write it: two-space indent, keys sorted, trailing newline. */
export function stringifySorted(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out;
}
