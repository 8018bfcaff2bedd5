import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { tokenizerContents } from "../tokenizer/index.js";
import { packageVersion } from "../util/package-info.js";

/**
 * The identity of a prepare run: loraforge's version, the options, the bytes of every input file and the
 * tokenizer's files. Equal keys mean the outputs would be identical, so they are reused.
 */
export async function prepareCacheKey(inputs: readonly string[], modelDir: string, options: unknown): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`loraforge ${packageVersion()}\n${JSON.stringify(options)}\n`);
  for (const file of inputs) {
    hash.update(`\n${file}\n`);
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  for (const { name, bytes } of tokenizerContents(modelDir)) hash.update(`\n${name}\n`).update(bytes);
  return hash.digest("hex");
}

/** The cache key recorded in an output folder's report.json, when all outputs are there. */
export function cachedKey(outDir: string, outputs: readonly string[]): string | undefined {
  const reportPath = path.join(outDir, "report.json");
  if (!outputs.every((name) => existsSync(path.join(outDir, name))) || !existsSync(reportPath)) return undefined;
  try {
    return (JSON.parse(readFileSync(reportPath, "utf8")) as { cacheKey?: string }).cacheKey;
  } catch {
    return undefined;
  }
}
