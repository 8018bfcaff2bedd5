import path from "node:path";
import { Option, type Command } from "commander";
import type { AdapterCheck, Runtime } from "../hub/index.js";
import { RUNTIMES, checkAdapter, hasErrors, locateBase } from "../hub/index.js";
import { readJsonObject } from "../formats/index.js";
import { ConfigError } from "../util/errors.js";

/** The findings per runtime, as a person reads them. */
export function formatAdapterCheck(check: AdapterCheck): string {
  const lines = [`${check.dir}`, `  base: ${check.base}`];
  for (const runtime of check.runtimes) {
    const findings = check.findings.filter((f) => f.runtime === runtime);
    lines.push(`${runtime}: ${findings.some((f) => f.severity === "error") ? "WILL NOT LOAD" : findings.length ? "loads, with warnings" : "ok"}`);
    for (const f of findings) {
      lines.push(`  ${f.severity} [${f.rule}] ${f.message}`);
      if (f.fix) lines.push(`    fix: ${f.fix}`);
    }
  }
  return lines.join("\n");
}

export function registerCheckAdapter(program: Command): void {
  program
    .command("check-adapter <dir>")
    .description("preflight a PEFT adapter folder: what will break in PEFT, vLLM, Ollama or llama.cpp before you find out there")
    .addOption(new Option("--for <runtime>", "the runtime to check for").choices([...RUNTIMES, "all"]).default("all"))
    .option("--base-model <dir|id>", "the base model (folder, or Hub id in the cache) when adapter_config.json does not point at one here")
    .option("--json", "print the findings as JSON")
    .action((dir: string, flags: { for: Runtime | "all"; baseModel?: string; json?: boolean }) => {
      const baseSpec = flags.baseModel ?? baseNameOf(dir);
      const baseDir = locateBase(baseSpec);
      if (flags.baseModel && !baseDir) throw new ConfigError(`--base-model ${flags.baseModel}: no such folder, and not in the Hugging Face cache`, { hint: `loraforge pull ${flags.baseModel}` });
      const check = checkAdapter(dir, { runtimes: flags.for === "all" ? RUNTIMES : [flags.for], baseDir });
      console.log(flags.json ? JSON.stringify(check, null, 2) : formatAdapterCheck(check));
      if (hasErrors(check)) process.exitCode = 1;
    });
}

function baseNameOf(dir: string): string | undefined {
  try {
    const v = readJsonObject(path.join(dir, "adapter_config.json")).base_model_name_or_path;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined; // the check itself reports the missing or broken file
  }
}
