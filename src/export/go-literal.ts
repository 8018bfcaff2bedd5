/**
 * Literal text inside an Ollama TEMPLATE. Three things cannot be written raw (docs/formats/ollama.md, "Modelfile
 * syntax"): `{{` would open a Go template action; a Modelfile drops characters Go's strconv.IsPrint rejects (tabs
 * and newlines excepted); and `"""` before a line break ends a triple-quoted value. Those characters go into a Go
 * string action instead, e.g. `{{ "\"" }}`, which renders the same text.
 */

/** What a Modelfile value keeps: Go's unicode.IsPrint (letters, marks, numbers, punctuation, symbols, ASCII space). */
export function isModelfilePrintable(char: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(char);
}

/** A Go string literal of `text`, with every character the Modelfile would drop written as an escape. */
function goStringLiteral(text: string): string {
  let out = '"';
  for (const char of text) {
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (isModelfilePrintable(char)) out += char;
    else {
      const code = char.codePointAt(0)!;
      out += code > 0xffff ? `\\U${code.toString(16).padStart(8, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    }
  }
  return `${out}"`;
}

/** `text` as template source that renders exactly `text` wherever it stands between actions. */
export function goTemplateText(text: string): string {
  const chars = [...text];
  let out = "";
  let quoteRun = 0;
  chars.forEach((char, i) => {
    // A `{` is escaped before another `{` and at the end, where the next action's `{{` would follow it.
    const opensAction = char === "{" && (i === chars.length - 1 || chars[i + 1] === "{");
    const closesTripleQuote = char === '"' && quoteRun === 2;
    if (opensAction || closesTripleQuote || (char !== "\n" && !isModelfilePrintable(char))) {
      out += `{{ ${goStringLiteral(char)} }}`;
      quoteRun = 0;
    } else {
      out += char;
      quoteRun = char === '"' ? quoteRun + 1 : 0;
    }
  });
  return out;
}
