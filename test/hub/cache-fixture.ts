import fs from "node:fs";
import path from "node:path";
import type { MockHub } from "./mock-hub.js";

/**
 * A fixed repo (fixed commit, deterministic bytes) that loraforge pulls and Python `huggingface_hub` then reads from
 * the same cache (interop/steps/40_hf_cache.ts writes what Python saw to test/golden/hf-cache.json).
 */
export const CACHE_REPO = "org/cache-check";
export const CACHE_COMMIT = "5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a99887766";

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function addCacheFixture(hub: MockHub): void {
  hub.addRepo(
    CACHE_REPO,
    {
      "config.json": JSON.stringify({ architectures: ["LlamaForCausalLM"], model_type: "llama" }),
      "tokenizer.json": JSON.stringify({ version: "1.0" }),
      "README.md": "---\nlicense: mit\n---\n# cache check\n",
      "model.safetensors": bytes(70_000, 7),
      "pytorch_model.bin": bytes(500, 9),
    },
    { commit: CACHE_COMMIT },
  );
}

export interface CacheLayout {
  refs: Record<string, string>;
  /** snapshot file → its symlink's target, as written. */
  links: Record<string, string>;
  blobs: string[];
}

/** The fixture's folder in a cache, as files on disk: refs, the snapshot's links and the blob names. */
export function cacheLayout(cacheDir: string): CacheLayout {
  const repo = path.join(cacheDir, "models--org--cache-check");
  const snapshot = path.join(repo, "snapshots", CACHE_COMMIT);
  const links = Object.fromEntries(fs.readdirSync(snapshot).sort().map((f) => [f, fs.readlinkSync(path.join(snapshot, f))]));
  const refs = Object.fromEntries(fs.readdirSync(path.join(repo, "refs")).map((r) => [r, fs.readFileSync(path.join(repo, "refs", r), "utf8")]));
  return { refs, links, blobs: fs.readdirSync(path.join(repo, "blobs")).sort() };
}
