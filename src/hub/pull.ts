import fs from "node:fs";
import path from "node:path";
import { listFiles, modelInfo } from "@huggingface/hub";
import { readJsonFile } from "../formats/index.js";
import { LoraforgeError } from "../util/errors.js";
import { COMMIT, cachedCommit, snapshotDir, writeRef } from "./cache-layout.js";
import { downloadToCache } from "./download-to-cache.js";
import type { RepoFile, SelectionOptions } from "./file-selection.js";
import { SAFETENSORS_INDEX, selectModelFiles, shardsOfIndex } from "./file-selection.js";
import type { HubContext } from "./hub-context.js";
import { hubContext, hubParams } from "./hub-context.js";
import { hubError } from "./hub-errors.js";

/** Told what is being fetched and how far each file has got. */
export interface PullProgress {
  files(files: readonly RepoFile[]): void;
  bytes(file: RepoFile, n: number): void;
  done(file: RepoFile): void;
}

export interface PullOptions extends SelectionOptions {
  /** Branch, tag or commit (default main). */
  revision?: string;
  progress?: PullProgress;
  context?: HubContext;
}

export interface PullResult {
  repo: string;
  commit: string;
  /** snapshots/<commit> in the cache: a model folder (or the folder holding the GGUF). */
  snapshot: string;
  files: RepoFile[];
}

/** Where the commit, the listing and the files come from (lists every file of the commit, with sizes and hashes). */
async function listCommit(ctx: HubContext, repo: string, revision: string): Promise<{ commit: string; files: RepoFile[] }> {
  const action = { repo, revision, verb: "download" };
  try {
    const info = await modelInfo({ ...hubParams(ctx), name: repo, revision, additionalFields: ["sha"] });
    const commit = info.sha;
    if (!commit || !COMMIT.test(commit)) throw new LoraforgeError(`the Hub gave no commit for ${repo}@${revision}`, { hint: "run the command again" });
    const files: RepoFile[] = [];
    for await (const e of listFiles({ ...hubParams(ctx), repo, revision: commit, recursive: true })) {
      if (e.type !== "file") continue;
      if (e.lfs) files.push({ path: e.path, size: e.lfs.size, etag: e.lfs.oid, check: "sha256" });
      else if (e.xetHash) files.push({ path: e.path, size: e.size, etag: e.xetHash, check: "size" });
      else if (e.oid) files.push({ path: e.path, size: e.size, etag: e.oid, check: "git-sha1" });
    }
    return { commit, files };
  } catch (err) {
    throw hubError(err, ctx, action);
  }
}

/**
 * Downloads what a model needs from `repo@revision` into the Hugging Face cache (the layout Python shares) and returns
 * its snapshot folder. Files already in the cache are not fetched again; a partial file resumes.
 */
export async function pullModel(repo: string, options: PullOptions = {}): Promise<PullResult> {
  const ctx = options.context ?? hubContext();
  const revision = options.revision ?? "main";
  if (ctx.offline) {
    throw new LoraforgeError(`HF_HUB_OFFLINE is set: cannot download ${repo}@${revision}`, { hint: "unset HF_HUB_OFFLINE to download it" });
  }
  const { commit, files } = await listCommit(ctx, repo, revision);
  const progress = options.progress;
  const fetchAll = async (chosen: RepoFile[]) => {
    progress?.files(chosen);
    for (const file of chosen) {
      await downloadToCache(ctx, repo, commit, file, (n) => progress?.bytes(file, n));
      progress?.done(file);
    }
  };
  const chosen = selectModelFiles(repo, files, options);
  await fetchAll(chosen);
  const index = chosen.find((f) => f.path === SAFETENSORS_INDEX);
  if (index && !options.include?.length) {
    const snapshot = snapshotDir(ctx.cacheDir, repo, commit);
    const shards = shardsOfIndex(repo, readJsonFile(path.join(snapshot, SAFETENSORS_INDEX)), files);
    await fetchAll(shards);
    chosen.push(...shards);
  }
  writeRef(ctx.cacheDir, repo, revision, commit);
  return { repo, commit, snapshot: snapshotDir(ctx.cacheDir, repo, commit), files: chosen };
}

/** The cached snapshot of `repo@revision` when it holds `needed` (config.json, or the GGUF asked for); no network. */
export function cachedSnapshot(ctx: HubContext, repo: string, revision = "main", needed = "config.json"): string | undefined {
  const commit = cachedCommit(ctx.cacheDir, repo, revision);
  if (!commit) return undefined;
  const dir = snapshotDir(ctx.cacheDir, repo, commit);
  return fs.existsSync(path.join(dir, needed)) ? dir : undefined;
}
