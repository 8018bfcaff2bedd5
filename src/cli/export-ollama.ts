import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadRecords } from "../data/index.js";
import type { ExportType } from "../export/index.js";
import { EXPORT_TYPES, exportGguf, exportGgufAdapter, fixedSystemPrompt, ollamaModelfileSpec, openBaseModel, parseExportType, writeModelfile } from "../export/index.js";
import { GgufFile } from "../gguf/index.js";
import { loadTokenizer } from "../tokenizer/index.js";
import { writeDirAtomic } from "../util/atomic-write.js";
import { ConfigError } from "../util/errors.js";

interface ExportOllamaFlags {
  model: string;
  adapter?: string;
  separateAdapter?: boolean;
  out: string;
  type: string;
  system?: string;
  systemFrom?: string[];
  name?: string;
  overwrite?: boolean;
}

/** The exported GGUF's `tokenizer.ggml.add_bos_token`: Ollama's tokenizer then adds BOS itself. */
function addsBos(gguf: string): boolean {
  const file = GgufFile.open(gguf);
  try {
    return file.metadata.optBool("tokenizer.ggml.add_bos_token") ?? false;
  } finally {
    file.close();
  }
}

/** A SYSTEM line: given as text, or the one system prompt every conversation of the training data opens with. */
async function systemPrompt(flags: ExportOllamaFlags): Promise<string | undefined> {
  if (flags.system !== undefined) return flags.system;
  if (!flags.systemFrom?.length) return undefined;
  const { records } = await loadRecords(flags.systemFrom);
  // Completion and plain-text records have no system turn, so they rule a fixed one out.
  const fixed = fixedSystemPrompt(records.map((r) => (r.kind === "chat" ? r.messages : [])));
  if (fixed === undefined) console.log(`note: the conversations in ${flags.systemFrom.join(", ")} do not all open with one system prompt; no SYSTEM line`);
  return fixed;
}

/**
 * `loraforge export ollama`: a folder Ollama creates a model from — the GGUF (adapter merged in, or kept as a GGUF
 * LoRA beside its base) and a Modelfile whose TEMPLATE renders the training template's prompts byte for byte.
 */
export function registerExportOllama(exp: Command): void {
  exp
    .command("ollama")
    .description("write a folder for `ollama create`: the GGUF(s) and a Modelfile whose TEMPLATE renders the training chat template byte for byte")
    .requiredOption("--model <model>", "base model: a Hugging Face folder, a .gguf file, or ollama:NAME[:TAG]")
    .option("--adapter <dir>", "PEFT LoRA adapter: merged into the GGUF (default) or kept separate (--separate-adapter)")
    .option("--separate-adapter", "keep the adapter as a GGUF LoRA (Modelfile ADAPTER) beside the base GGUF")
    .requiredOption("--out <dir>", "folder to write: model.gguf, [adapter.gguf,] Modelfile")
    .option("--type <type>", `tensor types of model.gguf: ${EXPORT_TYPES.join(", ")}`, "q8_0")
    .option("--system <text>", "a SYSTEM prompt for requests that bring none")
    .option("--system-from <files...>", "the training data: when every conversation opens with one system prompt, it becomes SYSTEM")
    .option("--name <name>", "the model name printed in the ollama create command (default: the folder name)")
    .option("--overwrite", "replace an existing --out")
    .action(async (flags: ExportOllamaFlags) => {
      const type: ExportType = parseExportType(flags.type);
      if (flags.separateAdapter && !flags.adapter) throw new ConfigError("--separate-adapter needs --adapter");
      if (fs.existsSync(flags.out) && !flags.overwrite) {
        throw new ConfigError(`--out ${flags.out} already exists`, { hint: "pass --overwrite to replace it, or choose another folder" });
      }
      const tokenizer = loadTokenizer(flags.model);
      const system = await systemPrompt(flags);
      const base = openBaseModel(flags.model);
      const generationConfig = base.generationConfig;
      base.close();
      let report: ReturnType<typeof ollamaModelfileSpec> | undefined;
      writeDirAtomic(
        flags.out,
        (dir) => {
          const model = path.join(dir, "model.gguf");
          const merged = flags.adapter && !flags.separateAdapter ? flags.adapter : undefined;
          const exported = exportGguf({ model: flags.model, adapter: merged, out: model, type, name: flags.name ?? path.basename(flags.out) });
          console.log(`model.gguf: ${type}, ${(exported.bytes / 1e6).toFixed(1)} MB${merged ? `, ${merged} merged in` : ""} (${exported.seconds.toFixed(1)} s)`);
          if (flags.separateAdapter) {
            const a = exportGgufAdapter({ adapter: flags.adapter!, model: flags.model, out: path.join(dir, "adapter.gguf"), type: "f32" });
            console.log(`adapter.gguf: LoRA r ${a.adapter.config.r}, ${(a.bytes / 1e6).toFixed(1)} MB`);
          }
          report = ollamaModelfileSpec({
            tokenizer,
            addBosToken: addsBos(model),
            from: "./model.gguf",
            adapter: flags.separateAdapter ? "./adapter.gguf" : undefined,
            system,
            generationConfig: generationConfig ? { values: generationConfig, file: `${flags.model} (generation_config)` } : undefined,
          });
          writeModelfile(path.join(dir, "Modelfile"), report.spec);
        },
        { replace: fs.existsSync(flags.out) },
      );
      const { spec, family, caveats } = report!;
      console.log(`Modelfile: TEMPLATE converted from the ${family} chat template (checked byte for byte against it), ${spec.stop.length} stop string(s)${spec.system !== undefined ? ", SYSTEM" : ""}`);
      for (const caveat of caveats) console.log(`note: ${caveat}`);
      console.log(`next: ollama create ${flags.name ?? path.basename(path.resolve(flags.out))} -f ${path.join(flags.out, "Modelfile")}`);
    });
}
