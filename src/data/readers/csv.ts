import { createReadStream } from "node:fs";
import { InputError } from "../../util/errors.js";
import type { RawRow } from "../types.js";
import { MAX_RECORD_BYTES, stripBom } from "./text-input.js";

/** Columns whose cells hold JSON (a message list) rather than plain text. */
const JSON_COLUMNS = new Set(["messages", "conversations", "prompt", "completion", "tools"]);

interface CsvRow {
  line: number;
  cells: string[];
}

/** RFC 4180 rows from a stream: quoted fields with "" escapes and embedded newlines; LF or CRLF. */
async function* csvRows(file: string): AsyncGenerator<CsvRow> {
  let cells: string[] = [];
  let field = "";
  let inQuotes = false;
  let afterQuote = false;
  let line = 1;
  let rowLine = 1;
  let first = true;
  // A quote that ends a chunk may be the first half of a "" escape: it waits for the next chunk.
  let carry = "";
  for await (const chunk of createReadStream(file, { encoding: "utf8" }) as AsyncIterable<string>) {
    const text = carry + (first ? stripBom(chunk) : chunk);
    first = false;
    carry = "";
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (inQuotes) {
        if (ch === '"' && i === text.length - 1) {
          carry = '"';
        } else if (ch === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (ch === '"') {
          inQuotes = false;
          afterQuote = true;
        } else {
          if (ch === "\n") line++;
          field += ch;
        }
        continue;
      }
      if (ch === '"' && field === "" && !afterQuote) inQuotes = true;
      else if (ch === ",") {
        cells.push(field);
        field = "";
        afterQuote = false;
      } else if (ch === "\n") {
        cells.push(field.endsWith("\r") && !afterQuote ? field.slice(0, -1) : field);
        yield { line: rowLine, cells };
        cells = [];
        field = "";
        afterQuote = false;
        rowLine = ++line;
      } else if (ch !== "\r" || !afterQuote) field += ch;
      if (field.length > MAX_RECORD_BYTES) {
        throw new InputError(`a field longer than ${MAX_RECORD_BYTES / 1048576} MiB`, { file, line: rowLine });
      }
    }
  }
  if (inQuotes && carry === "") throw new InputError("a quoted field is never closed", { file, line: rowLine });
  if (field !== "" || cells.length > 0) yield { line: rowLine, cells: [...cells, field] };
}

/** A cell of a JSON column that looks like JSON (a list or object) is parsed; anything else stays a string. */
function cellValue(column: string, cell: string, file: string, line: number): unknown {
  const trimmed = cell.trim();
  if (!JSON_COLUMNS.has(column) || !(trimmed.startsWith("[") || trimmed.startsWith("{"))) return cell;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch (err) {
    throw new InputError(`column "${column}" holds malformed JSON: ${(err as Error).message}`, { file, line, field: column });
  }
}

/** A CSV file with a header row; each later row becomes an object keyed by column name. */
export async function* readCsv(file: string): AsyncGenerator<RawRow | InputError> {
  let header: string[] | undefined;
  for await (const row of csvRows(file)) {
    if (!header) {
      header = row.cells.map((c) => c.trim());
      continue;
    }
    if (row.cells.length === 1 && row.cells[0].trim() === "") continue;
    if (row.cells.length !== header.length) {
      yield new InputError(`${row.cells.length} fields, but the header has ${header.length} columns`, { file, line: row.line });
      continue;
    }
    try {
      const value = Object.fromEntries(header.map((col, k) => [col, cellValue(col, row.cells[k], file, row.line)]));
      yield { file, line: row.line, value };
    } catch (err) {
      if (err instanceof InputError) yield err;
      else throw err;
    }
  }
}
