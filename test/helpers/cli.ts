import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import path from "node:path";
import { main } from "../../src/cli/main.js";

/** Runs the CLI in-process; returns its exit code and what it printed (stdout and stderr together). */
export async function runCliInProcess(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = console.log;
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await main(["node", "loraforge", ...args]);
    return { code: Number(process.exitCode ?? 0), out: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
    process.exitCode = before;
  }
}

/** Starts the CLI in a child process (from source, through tsx). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const entry = path.resolve("test/helpers/cli-entry.ts");
  return spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the CLI in a child process to the end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const child = spawnCli(args, env);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, out })));
}
