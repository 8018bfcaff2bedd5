import type { Hash } from "node:crypto";
import { createHash } from "node:crypto";
import fs from "node:fs";
import type { RepoFile } from "./file-selection.js";

/**
 * The hash the Hub lists for a file, computed while it downloads: the LFS sha256 of large files, or for regular git
 * files the git blob id (sha1 over `blob <size>\0` + content); none for xet-only files (checked by size).
 */
export class ContentHash {
  private readonly hash?: Hash;

  constructor(private readonly expected: RepoFile) {
    if (expected.check === "sha256") this.hash = createHash("sha256");
    else if (expected.check === "git-sha1") this.hash = createHash("sha1").update(`blob ${expected.size}\0`);
  }

  update(chunk: Uint8Array): void {
    this.hash?.update(chunk);
  }

  /** Feeds the bytes already on disk (a partial file being continued). */
  async updateFromFile(file: string): Promise<void> {
    if (!this.hash || !fs.existsSync(file)) return;
    for await (const chunk of fs.createReadStream(file)) this.hash.update(chunk as Buffer);
  }

  /** Why the finished file is not the listed one, or undefined when it is. */
  mismatch(file: string): string | undefined {
    const size = fs.statSync(file).size;
    if (size !== this.expected.size) return `size ${size} bytes, the Hub lists ${this.expected.size}`;
    if (!this.hash) return undefined;
    const got = this.hash.digest("hex");
    return got === this.expected.etag ? undefined : `${this.expected.check} ${got}, the Hub lists ${this.expected.etag}`;
  }
}
