import fs from "node:fs";
import path from "node:path";

/**
 * Hugging Face Hub repo ids (`owner/name`, optionally `@revision`) and what a local path says about the Hub id it came
 * from. Names follow the Hub's rules: letters, digits, `-`, `_`, `.`; no `--` or `..`; at most 96 characters.
 */
const NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?";
const HUB_ID = new RegExp(`^(${NAME})/(${NAME})(?:@([^\\s@]+))?$`);

export interface HubReference {
  /** `owner/name`. */
  repo: string;
  /** Branch, tag or commit; undefined means the default branch (`main`). */
  revision?: string;
}

/** Parses `owner/name[@revision]`; undefined when the text is not one. */
export function parseHubId(spec: string): HubReference | undefined {
  const m = HUB_ID.exec(spec);
  if (!m || m[1].includes("--") || m[2].includes("--") || m[1].includes("..") || m[2].includes("..")) return undefined;
  return { repo: `${m[1]}/${m[2]}`, revision: m[3] };
}

/**
 * The Hub id behind a folder of the Hugging Face cache (`…/models--owner--name/snapshots/<commit>[/…]`), the way
 * Python `huggingface_hub` and loraforge's `pull` lay it out; undefined for any other path.
 */
export function hubIdFromCachePath(p: string): { repo: string; commit: string } | undefined {
  const parts = path.resolve(p).split(path.sep);
  const at = parts.lastIndexOf("snapshots");
  if (at < 1 || at + 1 >= parts.length) return undefined;
  const folder = /^models--([^/]+?)--([^/]+)$/.exec(parts[at - 1]);
  const commit = parts[at + 1];
  if (!folder || !/^[0-9a-f]{40}$/.test(commit)) return undefined;
  return { repo: `${folder[1]}/${folder[2]}`, commit };
}

/**
 * The Hub id a model card or adapter_config.json may name as `base_model`: the id itself, or the id a cache snapshot
 * path stands for. Any other local path gives undefined (a path means nothing to someone who downloads the repo).
 */
export function baseModelHubId(nameOrPath: string | null | undefined): string | undefined {
  if (!nameOrPath) return undefined;
  const cached = hubIdFromCachePath(nameOrPath);
  if (cached) return cached.repo;
  if (path.isAbsolute(nameOrPath) || nameOrPath.startsWith(".") || fs.existsSync(nameOrPath)) return undefined;
  const ref = parseHubId(nameOrPath);
  return ref && !ref.revision ? ref.repo : undefined;
}
