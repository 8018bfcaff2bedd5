// The reference for Ollama TEMPLATEs: a real Go text/template program (test/export/go-template) that renders
// conversations the way Ollama's /api/chat does. Built once per test file into a temporary folder.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";
import type { ChatMessage } from "../../src/tokenizer/index.js";

const SOURCE_DIR = path.resolve("test/export/go-template");

// Made at import, so the clean-up hook belongs to the whole test file rather than to the first test that renders.
const BUILD_DIR = mkdtempSync(path.join(os.tmpdir(), "loraforge-go-render-"));
after(() => rmSync(BUILD_DIR, { recursive: true, force: true }));

let binary: string | undefined;

function build(): string {
  if (binary) return binary;
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.error || go.status !== 0) {
    throw new Error("Go is required for the Ollama template tests (a real Go text/template renders the TEMPLATE): install Go ≥ 1.22 and put `go` on PATH");
  }
  const out = path.join(BUILD_DIR, "render");
  const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "local" };
  // Go needs a build cache; without HOME (or XDG_CACHE_HOME) it has no default one.
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = path.join(BUILD_DIR, "go-cache");
  execFileSync("go", ["build", "-o", out, "."], { cwd: SOURCE_DIR, stdio: ["ignore", "inherit", "inherit"], env });
  binary = out;
  return out;
}

export interface GoCase {
  messages: readonly ChatMessage[];
  /** A Modelfile SYSTEM: Ollama puts it first when the conversation has no system message of its own. */
  system?: string;
}

/** The prompts Ollama's Go template engine renders for each case (throws on a template or execution error). */
export function renderWithGo(template: string, cases: readonly GoCase[]): string[] {
  const input = JSON.stringify({
    template,
    cases: cases.map((c) => ({ messages: c.messages.map(({ role, content }) => ({ role, content })), system: c.system ?? "" })),
  });
  const run = spawnSync(build(), [], { input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`the Go renderer failed (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr}`);
  const results = JSON.parse(run.stdout) as Array<{ prompt?: string; error?: string }>;
  return results.map((r, i) => {
    if (r.prompt === undefined) throw new Error(`the Go template failed on case ${i}: ${r.error}`);
    return r.prompt;
  });
}
