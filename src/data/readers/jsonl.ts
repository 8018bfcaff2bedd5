import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { InputError } from "../../util/errors.js";
import type { RawRow } from "../types.js";
import { MAX_RECORD_BYTES, stripBom } from "./text-input.js";

/**
 * JSON Lines, streamed line by line (a 1 GB file is never one string); LF or CRLF, with or without BOM; blank
 * lines skipped. A line that is not JSON is yielded as an InputError value so the caller decides whether to stop.
 */
export async function* readJsonl(file: string): AsyncGenerator<RawRow | InputError> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? stripBom(raw) : raw;
    if (text.trim() === "") continue;
    if (text.length > MAX_RECORD_BYTES) {
      yield new InputError(
        `the line is ${(Buffer.byteLength(text) / 1048576).toFixed(1)} MiB, over the ${MAX_RECORD_BYTES / 1048576} MiB limit for one record`,
        { file, line },
        { hint: "each JSONL line must hold one record; a huge line is usually a file that is not JSONL" },
      );
      continue;
    }
    try {
      yield { file, line, value: JSON.parse(text) as unknown };
    } catch (err) {
      yield new InputError(`malformed JSON: ${(err as Error).message}`, { file, line }, {
        hint: "each line must be one complete JSON object",
      });
    }
  }
}
