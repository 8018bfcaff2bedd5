import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError } from "../util/errors.js";

/** Media types of an Ollama manifest's layers (docs/formats/gguf.md, "Ollama's model store"). */
const MODEL_LAYER = "application/vnd.ollama.image.model";
const ADAPTER_LAYER = "application/vnd.ollama.image.adapter";
const DEFAULT_REGISTRY = "registry.ollama.ai";
const DEFAULT_NAMESPACE = "library";

/** Ollama's model folder: OLLAMA_MODELS, else ~/.ollama/models. */
export function ollamaModelsDir(): string {
  return process.env.OLLAMA_MODELS || path.join(os.homedir(), ".ollama", "models");
}

/**
 * The manifest path of an Ollama model name: `[registry/][namespace/]model[:tag]`, with Ollama's defaults
 * registry.ollama.ai, library and latest.
 */
export function ollamaManifestPath(name: string, modelsDir = ollamaModelsDir()): string {
  const colon = name.lastIndexOf(":");
  const slash = name.lastIndexOf("/");
  const [repo, tag] = colon > slash ? [name.slice(0, colon), name.slice(colon + 1)] : [name, "latest"];
  const parts = repo.split("/");
  if (!repo || !tag || parts.length > 3 || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new InputError(`"${name}" is not an Ollama model name ([registry/][namespace/]model[:tag])`, { field: "ollama" });
  }
  const [registry, namespace, model] =
    parts.length === 3 ? parts : parts.length === 2 ? [DEFAULT_REGISTRY, ...parts] : [DEFAULT_REGISTRY, DEFAULT_NAMESPACE, parts[0]];
  return path.join(modelsDir, "manifests", registry, namespace, model, tag);
}

/** The GGUF blob of an Ollama model in the local store. Nothing is downloaded. */
export function resolveOllamaModel(name: string): string {
  const modelsDir = ollamaModelsDir();
  const manifestFile = ollamaManifestPath(name, modelsDir);
  let manifest: { layers?: Array<{ mediaType?: unknown; digest?: unknown }> };
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as typeof manifest;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new InputError(missing ? `Ollama model "${name}" is not in the local store` : `unreadable Ollama manifest: ${(err as Error).message}`, { file: manifestFile }, {
      hint: missing ? `run \`ollama pull ${name}\` first, or set OLLAMA_MODELS to the store that holds it (now ${modelsDir})` : undefined,
    });
  }
  const layers = Array.isArray(manifest.layers) ? manifest.layers : [];
  if (layers.some((l) => l.mediaType === ADAPTER_LAYER)) {
    throw new InputError(`Ollama model "${name}" bakes in a LoRA adapter; loraforge would load its base without it`, { file: manifestFile }, {
      hint: "name the base model the adapter was created FROM instead",
    });
  }
  const model = layers.filter((l) => l.mediaType === MODEL_LAYER);
  if (model.length !== 1 || typeof model[0].digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(model[0].digest)) {
    throw new InputError(`expected exactly one layer of media type ${MODEL_LAYER} with a sha256 digest, found ${model.length}`, { file: manifestFile, field: "layers" });
  }
  const blob = path.join(modelsDir, "blobs", model[0].digest.replace(":", "-"));
  if (!fs.existsSync(blob)) throw new InputError(`the manifest names blob ${path.basename(blob)}, which is missing`, { file: manifestFile });
  return blob;
}
