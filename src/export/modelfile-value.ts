import { ConfigError } from "../util/errors.js";
import { isModelfilePrintable } from "./go-literal.js";

/**
 * Writing a value into a Modelfile so that Ollama reads back exactly that value. Ollama's reader
 * (docs/formats/ollama.md, "Modelfile syntax") collects a value up to a newline, but only ends it there once the
 * collected text, trimmed, is complete: bare, `"…"` or `"""…"""`. So a quote that closes the value before a line
 * break inside it cuts the value there; and the reader drops characters that are not printable (tabs and line
 * breaks excepted).
 */

const isBlank = (char: string) => char === " " || char === "\t";
const isNewline = (char: string) => char === "\n" || char === "\r";

/** Ollama's unquote: the value inside `"""…"""` or `"…"`, a bare value as it is, undefined while a quote is open. */
function unquote(text: string): string | undefined {
  if (text.startsWith('"""')) return text.length >= 6 && text.endsWith('"""') ? text.slice(3, -3) : undefined;
  if (text.startsWith('"')) return text.length >= 2 && text.endsWith('"') ? text.slice(1, -1) : undefined;
  return text;
}

/** What Ollama reads from `written` followed by the end of the line; undefined if the value ends before that. */
function readBack(written: string): string | undefined {
  const chars = [...written, "\n"];
  let buffer = "";
  for (const [i, char] of chars.entries()) {
    if (isBlank(char) || isNewline(char)) {
      const value = unquote(buffer.trim());
      if (value !== undefined && isNewline(char)) return i === chars.length - 1 ? value : undefined;
      buffer += char;
    } else if (isModelfilePrintable(char)) {
      buffer += char;
    }
  }
  return undefined;
}

/**
 * `value` as it must be written after a Modelfile instruction, in the first form of `style` that reads back:
 * "bare" (as it is, else quoted), "quoted" (`"…"`, else `"""…"""`) or "block" (`"""…"""`, else `"…"`).
 * A ConfigError when none does (`what` names the value).
 */
export function modelfileValue(value: string, what: string, style: "bare" | "quoted" | "block"): string {
  const double = `"${value}"`;
  const triple = `"""${value}"""`;
  const forms = style === "bare" ? [value, double, triple] : style === "quoted" ? [double, triple] : [triple, double];
  const form = forms.find((written) => readBack(written) === value);
  if (form !== undefined) return form;
  const dropped = [...value].find((char) => !isModelfilePrintable(char) && !isBlank(char) && !isNewline(char));
  const why = dropped !== undefined
    ? `it contains ${JSON.stringify(dropped)} (U+${dropped.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}), which Ollama's Modelfile reader drops`
    : `it contains """ before a line break, which ends a quoted Modelfile value there`;
  throw new ConfigError(`${what} cannot be written into a Modelfile: ${why}`);
}
