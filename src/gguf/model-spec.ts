import fs from "node:fs";
import { InputError } from "../util/errors.js";
import { GGUF_MAGIC } from "./gguf-read.js";
import { resolveOllamaModel } from "./ollama-store.js";

/** Where a model named on the command line or in a config lives. */
export type ModelLocation = { kind: "hf"; dir: string } | { kind: "gguf"; file: string };

/**
 * Resolves a model reference: `ollama:NAME[:TAG]` (Ollama's local store), a GGUF file (by its magic bytes, so
 * Ollama's extension-less blobs work too), or a Hugging Face folder. Nothing is downloaded.
 */
export function locateModel(spec: string): ModelLocation {
  if (spec.startsWith("ollama:")) return { kind: "gguf", file: resolveOllamaModel(spec.slice("ollama:".length)) };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(spec);
  } catch {
    throw new InputError("model not found", { file: spec }, {
      hint: "name a Hugging Face model folder, a .gguf file, or an Ollama model as ollama:NAME[:TAG]",
    });
  }
  if (stat.isDirectory()) return { kind: "hf", dir: spec };
  if (!isGgufFile(spec)) {
    throw new InputError("not a GGUF file and not a model folder", { file: spec }, {
      hint: "name a Hugging Face model folder, a .gguf file, or an Ollama model as ollama:NAME[:TAG]",
    });
  }
  return { kind: "gguf", file: spec };
}

/** True when the file starts with the GGUF magic. */
export function isGgufFile(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const head = Buffer.alloc(4);
    return fs.readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32LE(0) === GGUF_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
