import fs from "node:fs";
import path from "node:path";
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, baseModelHubId, readJsonObject } from "../../formats/index.js";
import { InputError } from "../../util/errors.js";
import type { RunSummary } from "./run-summary.js";
import { readRunSummary } from "./run-summary.js";

/** One file of the commit: from disk, or made here (the card, a rewritten adapter_config.json). */
export interface PushFile {
  path: string;
  size: number;
  file?: string;
  content?: Buffer;
}

export interface PushSource {
  /** adapter = PEFT folder (from a run or alone); merged = a full HF model folder; gguf = one .gguf file. */
  kind: "adapter" | "merged" | "gguf";
  files: PushFile[];
  /** The PEFT folder, for the preflight. */
  adapterDir?: string;
  run?: RunSummary;
  /** The base's Hub id as the source records it (adapter_config.json, or the run's model). */
  recordedBase?: string;
  /** The base as recorded, even when it is a local path (to find its config and license in the cache). */
  recordedBasePath?: string;
}

const onDisk = (file: string, as = path.basename(file)): PushFile => ({ path: as, size: fs.statSync(file).size, file });

/** Figures out what a push argument is: a run folder, an adapter folder, a merged model folder or a GGUF file. */
export function readPushSource(source: string): PushSource {
  if (!fs.existsSync(source)) throw new InputError("no such file or folder", { file: source });
  if (fs.statSync(source).isFile()) {
    if (!source.endsWith(".gguf")) throw new InputError("push takes a run folder, an adapter folder, a merged model folder or a .gguf file", { file: source });
    return { kind: "gguf", files: [onDisk(source)] };
  }
  const runAdapter = path.join(source, "adapter");
  if (fs.existsSync(path.join(source, "run.json")) && fs.existsSync(path.join(runAdapter, ADAPTER_CONFIG_FILE))) return adapterSource(runAdapter, source);
  if (fs.existsSync(path.join(source, ADAPTER_CONFIG_FILE))) {
    const parent = path.dirname(path.resolve(source));
    return adapterSource(source, fs.existsSync(path.join(parent, "run.json")) ? parent : undefined);
  }
  if (fs.existsSync(path.join(source, "config.json")) && fs.readdirSync(source).some((f) => f.endsWith(".safetensors"))) {
    const files = fs
      .readdirSync(source)
      .filter((f) => f !== "README.md" && !f.startsWith(".") && fs.statSync(path.join(source, f)).isFile())
      .sort()
      .map((f) => onDisk(path.join(source, f)));
    const name = readJsonObject(path.join(source, "config.json"))._name_or_path;
    const recorded = typeof name === "string" ? name : undefined;
    return { kind: "merged", files, recordedBase: baseModelHubId(recorded), recordedBasePath: recorded };
  }
  throw new InputError("not a loraforge run folder, a PEFT adapter folder (adapter_config.json), a model folder (config.json + safetensors) or a .gguf file", { file: source });
}

function adapterSource(adapterDir: string, runDir: string | undefined): PushSource {
  const config = readJsonObject(path.join(adapterDir, ADAPTER_CONFIG_FILE));
  const recorded = typeof config.base_model_name_or_path === "string" ? config.base_model_name_or_path : undefined;
  const files: PushFile[] = [];
  if (fs.existsSync(path.join(adapterDir, ADAPTER_WEIGHTS_FILE))) files.push(onDisk(path.join(adapterDir, ADAPTER_WEIGHTS_FILE)));
  const run = runDir ? readRunSummary(runDir) : undefined;
  if (runDir && fs.existsSync(path.join(runDir, "loss.png"))) files.push(onDisk(path.join(runDir, "loss.png")));
  return { kind: "adapter", files, adapterDir, run, recordedBase: baseModelHubId(recorded), recordedBasePath: recorded };
}

/** adapter_config.json with base_model_name_or_path set to the Hub id (what PEFT writes for a Hub base). */
export function adapterConfigForHub(adapterDir: string, baseModel: string | undefined): PushFile {
  const config = readJsonObject(path.join(adapterDir, ADAPTER_CONFIG_FILE));
  if (baseModel) config.base_model_name_or_path = baseModel;
  const sorted = Object.fromEntries(Object.keys(config).sort().map((k) => [k, config[k]]));
  const content = Buffer.from(`${JSON.stringify(sorted, null, 2)}\n`);
  return { path: ADAPTER_CONFIG_FILE, size: content.length, content };
}
