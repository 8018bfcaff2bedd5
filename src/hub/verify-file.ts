import { createHash } from "node:crypto";
import fs from "node:fs";
import type { RepoFile } from "./file-selection.js";

/**
 * Whether a downloaded file is the one the Hub listed: its size, and its hash where the listing gives one (the LFS
 * sha256 of large files; for regular git files the git blob id, sha1 over `blob <size>\0` + content).
 */
export async function verifyFile(file: string, expected: RepoFile): Promise<string | undefined> {
  const size = fs.statSync(file).size;
  if (size !== expected.size) return `size ${size} bytes, the Hub lists ${expected.size}`;
  if (expected.check === "size") return undefined;
  const hash = createHash(expected.check === "sha256" ? "sha256" : "sha1");
  if (expected.check === "git-sha1") hash.update(`blob ${size}\0`);
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  const got = hash.digest("hex");
  return got === expected.etag ? undefined : `${expected.check} ${got}, the Hub lists ${expected.etag}`;
}
