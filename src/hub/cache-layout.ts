import fs from "node:fs";
import path from "node:path";
import { getRepoFolderName } from "@huggingface/hub";
import { writeFileAtomic } from "../util/atomic-write.js";

/**
 * The Hugging Face cache layout that Python `huggingface_hub` reads and writes (docs/hub.md "Pull"):
 *   <cache>/models--owner--name/blobs/<etag>                  file contents, named by LFS sha256 or git blob id
 *   <cache>/models--owner--name/snapshots/<commit>/<path>     relative symlink to ../../blobs/<etag>
 *   <cache>/models--owner--name/refs/<revision>               the commit a branch or tag pointed at
 */

export const COMMIT = /^[0-9a-f]{40}$/;

export function repoFolder(cacheDir: string, repo: string): string {
  return path.join(cacheDir, getRepoFolderName({ type: "model", name: repo }));
}

export function snapshotDir(cacheDir: string, repo: string, commit: string): string {
  return path.join(repoFolder(cacheDir, repo), "snapshots", commit);
}

export function blobPath(cacheDir: string, repo: string, etag: string): string {
  return path.join(repoFolder(cacheDir, repo), "blobs", etag);
}

/** The commit a revision stands for in the cache: itself when it is a commit hash, else refs/<revision>. */
export function cachedCommit(cacheDir: string, repo: string, revision = "main"): string | undefined {
  if (COMMIT.test(revision)) return revision;
  const ref = path.join(repoFolder(cacheDir, repo), "refs", revision);
  if (!fs.existsSync(ref)) return undefined;
  const commit = fs.readFileSync(ref, "utf8").trim();
  return COMMIT.test(commit) ? commit : undefined;
}

export function writeRef(cacheDir: string, repo: string, revision: string, commit: string): void {
  if (COMMIT.test(revision)) return;
  const ref = path.join(repoFolder(cacheDir, repo), "refs", revision);
  fs.mkdirSync(path.dirname(ref), { recursive: true });
  writeFileAtomic(ref, commit);
}

/** Points snapshots/<commit>/<file> at its blob with a relative link, as Python does (a moved cache keeps working). */
export function linkSnapshotFile(cacheDir: string, repo: string, commit: string, file: string, etag: string): string {
  const link = path.join(snapshotDir(cacheDir, repo, commit), file);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  const target = path.relative(path.dirname(link), blobPath(cacheDir, repo, etag));
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
  return link;
}
