import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { IGNORE_INDEX, loadTokenizer, type LoraTokenizer } from "../../src/tokenizer/index.js";
import { fixtureDir, type FixtureTokenizer } from "./fixture-conversations.js";

const loaded = new Map<string, LoraTokenizer>();

/** A fixture tokenizer, loaded once per test process (tokenizer.json takes a second or two to parse). */
export function fixtureTokenizer(name: FixtureTokenizer, template?: { builtin?: string; source?: string }): LoraTokenizer {
  const key = `${name}|${template?.builtin ?? ""}|${template?.source ?? ""}`;
  let tok = loaded.get(key);
  if (!tok) {
    let chatTemplate = template?.builtin;
    if (template?.source !== undefined) {
      chatTemplate = path.join(mkdtempSync(path.join(tmpdir(), "lf-template-")), "template.jinja");
      writeFileSync(chatTemplate, template.source);
    }
    tok = loadTokenizer(fixtureDir(name), { chatTemplate });
    loaded.set(key, tok);
  }
  return tok;
}

/** The runs of consecutive trained tokens, as id lists. */
export function trainedRuns(labels: readonly number[]): number[][] {
  const runs: number[][] = [];
  let current: number[] | undefined;
  for (const label of labels) {
    if (label === IGNORE_INDEX) current = undefined;
    else if (current) current.push(label);
    else runs.push((current = [label]));
  }
  return runs;
}
