import fs from "node:fs";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import { downloadFile } from "@huggingface/hub";
import { LoraforgeError } from "../util/errors.js";
import { blobPath, linkSnapshotFile } from "./cache-layout.js";
import type { RepoFile } from "./file-selection.js";
import type { HubContext } from "./hub-context.js";
import { hubParams } from "./hub-context.js";
import { hubError, isNetworkError } from "./hub-errors.js";
import { ContentHash } from "./verify-file.js";

/** How often a dropped connection is retried (each time from where it stopped) before giving up. */
const ATTEMPTS = 4;

/**
 * Puts one file of `repo@commit` into the cache: downloaded into `blobs/<etag>.incomplete` (continued with a Range
 * request where an earlier attempt or run stopped), checked against the listed size and hash, renamed to its blob and
 * linked from the snapshot. `onBytes` is told of every chunk (and of bytes found already on disk).
 */
export async function downloadToCache(ctx: HubContext, repo: string, commit: string, file: RepoFile, onBytes: (n: number) => void): Promise<string> {
  const blob = blobPath(ctx.cacheDir, repo, file.etag);
  if (fs.existsSync(blob) && fs.statSync(blob).size === file.size) {
    onBytes(file.size);
    return linkSnapshotFile(ctx.cacheDir, repo, commit, file.path, file.etag);
  }
  fs.mkdirSync(path.dirname(blob), { recursive: true });
  const partial = `${blob}.incomplete`;
  if (fs.existsSync(partial) && fs.statSync(partial).size > file.size) fs.rmSync(partial);
  const action = { repo, revision: commit, verb: "download" };
  let source: Blob | null;
  try {
    source = await downloadFile({ ...hubParams(ctx), repo, path: file.path, revision: commit, xet: false });
  } catch (err) {
    throw hubError(err, ctx, action);
  }
  if (!source) throw new LoraforgeError(`${repo}@${commit}: ${file.path} is listed but the Hub says it does not exist`, { hint: "run the command again" });
  onBytes(fs.existsSync(partial) ? fs.statSync(partial).size : 0);
  let hash: ContentHash;
  for (let attempt = 1; ; attempt++) {
    // The hash covers what is on disk, then the new bytes as they arrive (one pass over the data, not two).
    hash = new ContentHash(file);
    await hash.updateFromFile(partial);
    const offset = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
    if (offset === file.size) break;
    try {
      await appendRange(source.slice(offset), partial, file.size - offset, (chunk) => {
        hash.update(chunk);
        onBytes(chunk.length);
      });
      break;
    } catch (err) {
      if (!isNetworkError(err) || attempt === ATTEMPTS) throw hubError(err, ctx, action);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  const wrong = hash.mismatch(partial);
  if (wrong) {
    fs.rmSync(partial);
    throw new LoraforgeError(`${repo}: ${file.path} downloaded with ${wrong}; the partial file was deleted`, { hint: "run the command again" });
  }
  fs.renameSync(partial, blob);
  return linkSnapshotFile(ctx.cacheDir, repo, commit, file.path, file.etag);
}

/** Appends a ranged body to `target`, refusing more bytes than the range holds (a server that ignored the Range). */
async function appendRange(range: Blob, target: string, expected: number, onChunk: (chunk: Buffer) => void): Promise<void> {
  let seen = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > expected) return done(new LoraforgeError(`the Hub sent more bytes than the ${expected} asked for; run the command again`));
      onChunk(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(range.stream() as WebReadableStream), count, fs.createWriteStream(target, { flags: "a" }));
}
