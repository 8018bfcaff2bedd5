// Numeric flags are checked where commander parses them: a bad value is a ConfigError naming the flag, before any
// model is loaded (the model path below does not exist, so a late check would report that instead).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCliInProcess } from "../helpers/cli.js";

const noModel = "/nonexistent/model";

async function refused(args: string[], pattern: RegExp): Promise<void> {
  const r = await runCliInProcess(...args);
  assert.notEqual(r.code, 0, r.out);
  assert.match(r.out, pattern);
  assert.doesNotMatch(r.out, /internal error|KV cache|\n\s+at .+:\d+:\d+/);
}

describe("numeric flags of generate and eval are validated where they are parsed", () => {
  const generate = (...flags: string[]) => ["generate", "--model", noModel, "--prompt", "hi", ...flags];
  const cases: Array<[string[], RegExp]> = [
    [generate("--max-new-tokens", "-1"), /--max-new-tokens expects a whole number in \[1, Infinity\], got "-1"/],
    [generate("--max-new-tokens", "0"), /--max-new-tokens expects a whole number/],
    [generate("--max-new-tokens", "1.5"), /--max-new-tokens expects a whole number/],
    [generate("--temperature", "-0.5"), /--temperature expects a number in \[0, Infinity\], got "-0.5"/],
    [generate("--temperature", "hot"), /--temperature expects a number/],
    [generate("--top-k", "-1"), /--top-k expects a whole number/],
    [generate("--top-k", "2.5"), /--top-k expects a whole number/],
    [generate("--top-p", "0"), /--top-p expects a number in \(0, 1\], got "0"/],
    [generate("--top-p", "1.5"), /--top-p expects a number in \(0, 1\]/],
    [generate("--min-p", "2"), /--min-p expects a number in \[0, 1\]/],
    [generate("--repetition-penalty", "0"), /--repetition-penalty expects a number in \(0, Infinity\]/],
    [generate("--seed", "-3"), /--seed expects a whole number/],
    [["eval", "--model", noModel, "--data", "x.jsonl", "--max-new-tokens", "-1"], /--max-new-tokens expects a whole number in \[1, Infinity\], got "-1"/],
  ];
  for (const [args, pattern] of cases) {
    it(args.slice(args.length - 2).join(" "), () => refused(args, pattern));
  }
});
