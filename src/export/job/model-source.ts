import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "../../util/errors.js";

/** Where the job's Python side loads the base from. */
export type ModelSource = { kind: "folder"; path: string } | { kind: "hub"; id: string };

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * `model` as loadTrainConfig resolved it (relative to the config's folder). A Hugging Face folder is used in
 * place; a Hub id that is no local folder stays a Hub id. GGUF and Ollama bases are refused: transformers'
 * `gguf_file=` loader covers fewer architectures and dequantizes on its own, whereas `loraforge import` writes the
 * very dequantized weights loraforge trained against (docs/export-job.md).
 */
export function modelSource(model: string, configDir: string): ModelSource {
  const importHint = (what: string) =>
    new ConfigError(`model ${what}: a TRL job loads Hugging Face folders or Hub ids, not GGUF`, {
      hint: `run \`loraforge import ${what} --out base-hf\` and point model: at base-hf (the same weights loraforge trains on)`,
    });
  const base = path.basename(model);
  if (base.startsWith("ollama:")) throw importHint(base);
  if (/\.gguf$/i.test(model)) throw importHint(model);
  if (fs.existsSync(model)) {
    if (!fs.existsSync(path.join(model, "config.json"))) {
      throw new ConfigError(`model ${model}: not a Hugging Face model folder (no config.json)`);
    }
    return { kind: "folder", path: model };
  }
  // A Hub id stays as written; older configs had it resolved against the config's folder like a path.
  const asWritten = path.isAbsolute(model) ? path.relative(configDir, model).split(path.sep).join("/") : model;
  if (HUB_ID.test(asWritten)) return { kind: "hub", id: asWritten };
  throw new ConfigError(`model ${model}: no such folder, and not a Hub id (owner/name)`);
}
