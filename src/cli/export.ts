import type { Command } from "commander";
import fs from "node:fs";
import { EXPORT_TYPES, driftReport, exportGguf, exportGgufAdapter, formatDrift, parseExportType } from "../export/index.js";
import { ConfigError } from "../util/errors.js";
import { registerExportOllama } from "./export-ollama.js";

interface ExportGgufFlags {
  model: string;
  adapter?: string;
  run?: string;
  mergeInto?: string;
  ignoreBaseName?: boolean;
  out: string;
  type: string;
  name?: string;
  overwrite?: boolean;
  report?: string;
  reportJson?: string;
  reportRecords?: string;
  reportEngine: string;
  reportThreads?: string;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `loraforge export gguf` (and, registered beside it, the adapter and Ollama subcommands). */
export function registerExport(program: Command): void {
  const exp = program.command("export").description("ship a model: GGUF for llama.cpp / Ollama, GGUF LoRA adapters, an Ollama Modelfile");
  registerExportOllama(exp);
  exp
    .command("gguf")
    .description("write a GGUF llama.cpp and Ollama load, optionally with a LoRA adapter merged in first")
    .requiredOption("--model <model>", "base model: a Hugging Face folder, a .gguf file, or ollama:NAME[:TAG]")
    .option("--adapter <dir>", "PEFT LoRA adapter to merge first (W + s·B·A in f32, rounded once)")
    .option("--run <dir>", "the adapter's training run folder (run.json says whether it trained on a 4-bit base; default: the adapter's parent)")
    .option("--merge-into <base>", "for a QLoRA adapter: 'trained' (dequantized 4-bit base, default) or 'full' (the 16-bit base)", "trained")
    .option("--ignore-base-name", "accept an adapter whose base_model_name_or_path names another model (shapes are still checked)")
    .requiredOption("--out <file>", "the .gguf file to write")
    .option("--type <type>", `tensor types, as llama.cpp chooses them: ${EXPORT_TYPES.join(", ")}`, "f16")
    .option("--name <name>", "general.name (default: the output file name)")
    .option("--overwrite", "replace an existing --out")
    .option("--report <data>", "after exporting, measure drift adapter → merged → GGUF on this `data prepare` folder's val.jsonl (or a prepared .jsonl)")
    .option("--report-records <n>", "validation records the report uses (default 32)")
    .option("--report-engine <engine>", "run the GGUF on 'auto' (llama.cpp when node-llama-cpp is installed) or 'loraforge' (our forward on its dequantized weights)", "auto")
    .option("--report-threads <n>", "llama.cpp threads for the report (default: LORAFORGE_THREADS, else one per core; fewer on a busy machine)")
    .option("--report-json <file>", "also write the report as JSON")
    .action(async (opts: ExportGgufFlags) => {
      const type = parseExportType(opts.type);
      if (opts.report !== undefined && !opts.adapter) throw new ConfigError("--report compares adapter-on-base with the export: it needs --adapter");
      if (opts.reportEngine !== "auto" && opts.reportEngine !== "loraforge") throw new ConfigError(`--report-engine ${opts.reportEngine}: expected auto or loraforge`);
      const reportRecords = opts.reportRecords === undefined ? undefined : Number(opts.reportRecords);
      if (opts.reportThreads !== undefined && !(Number(opts.reportThreads) >= 1)) throw new ConfigError(`--report-threads ${opts.reportThreads}: expected a positive integer`);
      if (reportRecords !== undefined && !(Number.isInteger(reportRecords) && reportRecords > 0)) throw new ConfigError(`--report-records ${opts.reportRecords}: expected a positive integer`);
      const into = opts.mergeInto === "full" ? "full" : opts.mergeInto === "trained" ? "trained" : undefined;
      if (!into) throw new ConfigError(`--merge-into ${opts.mergeInto}: expected trained or full`);
      let last = 0;
      const result = exportGguf({
        model: opts.model,
        adapter: opts.adapter,
        adapterOptions: { run: opts.run, into, ignoreBaseName: opts.ignoreBaseName },
        out: opts.out,
        type,
        name: opts.name,
        overwrite: opts.overwrite,
        onTensor: (i, n) => {
          if (process.stderr.isTTY && Date.now() - last > 200) {
            last = Date.now();
            process.stderr.write(`\rtensor ${i + 1}/${n}`);
          }
        },
      });
      if (process.stderr.isTTY) process.stderr.write("\r");
      const counts = new Map<string, number>();
      for (const [, t] of result.tensorTypes) counts.set(t, (counts.get(t) ?? 0) + 1);
      const a = result.adapter;
      if (a) {
        const into4 = a.quantization ? ` into the dequantized ${a.quantization} base it was trained on (${a.quantizationSource})` : "";
        console.log(`merged ${opts.adapter} (${a.weights.size} modules, scale ${a.scale})${into4}`);
      }
      console.log(`${result.out}: ${type}, ${mb(result.bytes)}, ${result.tensorTypes.length} tensors (${[...counts].map(([t, n]) => `${n} ${t}`).join(", ")}), ${result.seconds.toFixed(1)} s`);
      if (result.requantizedFrom.length > 0) {
        console.log(`note: the base GGUF stores ${result.requantizedFrom.join(", ")} weights; they were dequantized and stored again as ${type}, so both roundings add up — export from the 16-bit model when you have it`);
      }
      console.log(`run it: llama-cli -m ${result.out}   ·   Ollama: a Modelfile with FROM ${result.out}`);
      if (opts.report !== undefined) {
        const report = await driftReport({
          model: opts.model,
          adapter: opts.adapter!,
          adapterOptions: { run: opts.run, into, ignoreBaseName: opts.ignoreBaseName },
          gguf: result.out,
          data: opts.report,
          maxRecords: reportRecords,
          engine: opts.reportEngine === "loraforge" ? "loraforge" : "auto",
          ggufThreads: opts.reportThreads === undefined ? undefined : Number(opts.reportThreads),
        });
        console.log(`\n${formatDrift(report)}`);
        if (opts.reportJson) fs.writeFileSync(opts.reportJson, `${JSON.stringify(report, null, 2)}\n`);
      }
    });
  exp
    .command("gguf-adapter")
    .description("write a PEFT LoRA adapter as a GGUF LoRA file for llama.cpp (--lora) and Ollama (ADAPTER)")
    .requiredOption("--adapter <dir>", "PEFT LoRA adapter folder")
    .requiredOption("--model <model>", "the base it runs on: a Hugging Face folder, a .gguf file, or ollama:NAME[:TAG]")
    .requiredOption("--out <file>", "the .gguf file to write")
    .option("--type <type>", "f32 (default, as llama.cpp's converter) or f16", "f32")
    .option("--ignore-base-name", "accept an adapter whose base_model_name_or_path names another model (shapes are still checked)")
    .option("--overwrite", "replace an existing --out")
    .action((opts: { adapter: string; model: string; out: string; type: string; ignoreBaseName?: boolean; overwrite?: boolean }) => {
      if (opts.type !== "f32" && opts.type !== "f16") throw new ConfigError(`--type ${opts.type}: a GGUF LoRA adapter is written as f32 or f16`);
      const r = exportGgufAdapter({ adapter: opts.adapter, model: opts.model, out: opts.out, type: opts.type, overwrite: opts.overwrite, adapterOptions: { ignoreBaseName: opts.ignoreBaseName } });
      const c = r.adapter.config;
      console.log(`${r.out}: LoRA r ${c.r}, adapter.lora.alpha ${r.alpha}${c.useRslora ? ` (rsLoRA: ${c.loraAlpha}·√${c.r})` : ""}, ${r.tensors} tensors, ${mb(r.bytes)}`);
      if (r.adapter.trainedOn) console.log(`note: ${r.adapter.quantizationSource} says the adapter was trained on a ${r.adapter.trainedOn} base; llama.cpp applies it to whatever base it is given`);
      console.log(`run it: llama-cli -m BASE.gguf --lora ${r.out}   ·   Ollama: ADAPTER ${r.out} in the base's Modelfile`);
    });
}
