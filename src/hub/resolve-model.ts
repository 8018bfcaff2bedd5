import fs from "node:fs";
import path from "node:path";
import { parseHubId } from "../formats/index.js";
import { LoraforgeError } from "../util/errors.js";
import type { HubContext } from "./hub-context.js";
import { hubContext } from "./hub-context.js";
import { HubNetworkError, HubNotFoundError } from "./hub-errors.js";
import type { PullOptions } from "./pull.js";
import { cachedSnapshot, pullModel } from "./pull.js";

export interface ResolveOptions extends Omit<PullOptions, "revision" | "context"> {
  context?: HubContext;
  /** Told when a cached copy stands in for an unreachable Hub. */
  onNote?: (message: string) => void;
}

/**
 * Turns whatever names a model into what loadModel reads. A local path, `ollama:NAME` or a `.gguf` path comes back
 * unchanged; `owner/name[@revision]` becomes its snapshot folder in the Hugging Face cache (or, with `ggufFile`, the
 * GGUF file in it), downloaded when missing. HF_HUB_OFFLINE=1 uses the cache only and never touches the network.
 */
export async function resolveModelReference(spec: string, options: ResolveOptions = {}): Promise<string> {
  if (spec.startsWith("ollama:") || spec.endsWith(".gguf") || fs.existsSync(spec)) return spec;
  const ref = parseHubId(spec);
  if (!ref) return spec; // not a Hub id: the loader names the missing path
  const ctx = options.context ?? hubContext();
  const revision = ref.revision ?? "main";
  const needed = options.ggufFile ?? "config.json";
  const inSnapshot = (dir: string) => (options.ggufFile ? path.join(dir, options.ggufFile) : dir);
  if (ctx.offline) {
    const cached = cachedSnapshot(ctx, ref.repo, revision, needed);
    if (cached) return inSnapshot(cached);
    throw new LoraforgeError(`HF_HUB_OFFLINE is set and ${ref.repo}@${revision} is not in the Hugging Face cache (${ctx.cacheDir})`, {
      hint: `download it once with the network: loraforge pull ${ref.repo}${ref.revision ? ` --revision ${ref.revision}` : ""}${options.ggufFile ? ` --gguf-file ${options.ggufFile}` : ""} (without HF_HUB_OFFLINE)`,
    });
  }
  try {
    return inSnapshot((await pullModel(ref.repo, { ...options, revision, context: ctx })).snapshot);
  } catch (err) {
    if (err instanceof HubNotFoundError) {
      throw new LoraforgeError(`${spec} is not a local folder, and as a Hub id: ${err.message}`, { hint: err.hint });
    }
    const cached = err instanceof HubNetworkError ? cachedSnapshot(ctx, ref.repo, revision, needed) : undefined;
    if (!cached) throw err;
    options.onNote?.(`${(err as Error).message}; using the cached copy ${cached}`);
    return inSnapshot(cached);
  }
}
