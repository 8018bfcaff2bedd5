import fs from "node:fs";
import path from "node:path";
import type { DType, Tensor } from "../tensor/index.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { InputError } from "../util/errors.js";
import { readJsonObject, stringifySorted } from "./json-file.js";
import type { TensorEntry } from "./safetensors-header.js";
import { tensorByteSize } from "./safetensors-header.js";
import { SafetensorsReader } from "./safetensors-read.js";
import type { TensorSource } from "./safetensors-write.js";
import { safetensorsDtype, writeSafetensors } from "./safetensors-write.js";

/**
 * A checkpoint stored as one `model.safetensors` or as shards listed in `model.safetensors.index.json`
 * (docs/formats/safetensors.md §1.4), read through one interface.
 */

/** huggingface_hub's default max shard size. */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

export function indexFileName(prefix: string): string {
  return `${prefix}.safetensors.index.json`;
}

/** `model-00001-of-00003.safetensors`; a single shard is plain `model.safetensors`. */
export function shardFileName(prefix: string, index: number, count: number): string {
  if (count === 1) return `${prefix}.safetensors`;
  const pad = (n: number) => String(n).padStart(5, "0");
  return `${prefix}-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

export class CheckpointReader {
  readonly dir: string;
  /** The index file when sharded, else the single safetensors file. */
  readonly source: string;
  private readonly readers: SafetensorsReader[];
  private readonly byName: Map<string, SafetensorsReader>;

  private constructor(dir: string, source: string, readers: SafetensorsReader[], byName: Map<string, SafetensorsReader>) {
    this.dir = dir;
    this.source = source;
    this.readers = readers;
    this.byName = byName;
  }

  /** Opens `<prefix>.safetensors.index.json` if present, else `<prefix>.safetensors`, in `dir`. */
  static open(dir: string, prefix = "model"): CheckpointReader {
    const indexFile = path.join(dir, indexFileName(prefix));
    if (fs.existsSync(indexFile)) return CheckpointReader.openSharded(dir, indexFile);
    const single = path.join(dir, `${prefix}.safetensors`);
    if (!fs.existsSync(single)) {
      throw new InputError(`no ${prefix}.safetensors and no ${indexFileName(prefix)}: not a safetensors checkpoint folder`, { file: dir });
    }
    const reader = SafetensorsReader.open(single);
    return new CheckpointReader(dir, single, [reader], new Map(reader.names().map((n) => [n, reader])));
  }

  private static openSharded(dir: string, indexFile: string): CheckpointReader {
    const weightMap = parseIndex(indexFile);
    const shards = new Map<string, string[]>();
    for (const [name, shard] of weightMap) {
      if (!shards.has(shard)) shards.set(shard, []);
      shards.get(shard)!.push(name);
    }
    for (const shard of shards.keys()) {
      if (!fs.existsSync(path.join(dir, shard))) throw new InputError(`weight_map names shard ${shard}, which does not exist`, { file: indexFile });
    }
    const readers: SafetensorsReader[] = [];
    const byName = new Map<string, SafetensorsReader>();
    try {
      for (const [shard, names] of shards) {
        const reader = SafetensorsReader.open(path.join(dir, shard));
        readers.push(reader);
        for (const name of names) {
          if (!reader.has(name)) throw new InputError(`weight_map puts ${name} in ${shard}, but that shard does not hold it`, { file: indexFile });
        }
        const listed = new Set(names);
        for (const name of reader.names()) {
          if (!listed.has(name)) throw new InputError(`${shard} holds ${name}, which weight_map does not list there`, { file: indexFile });
          byName.set(name, reader);
        }
      }
    } catch (err) {
      for (const r of readers) r.close();
      throw err;
    }
    return new CheckpointReader(dir, indexFile, readers, byName);
  }

  /** Every tensor name, shard by shard in file order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The file that holds a tensor, and its header entry. */
  locate(name: string): { file: string; entry: TensorEntry } {
    const reader = this.readerOf(name);
    return { file: reader.file, entry: reader.entry(name) };
  }

  read(name: string, as?: DType): Tensor {
    return this.readerOf(name).read(name, as);
  }

  close(): void {
    for (const r of this.readers) r.close();
  }

  private readerOf(name: string): SafetensorsReader {
    const reader = this.byName.get(name);
    if (!reader) throw new InputError(`no tensor named ${JSON.stringify(name)}`, { file: this.source });
    return reader;
  }
}

function parseIndex(indexFile: string): Map<string, string> {
  const index = readJsonObject(indexFile);
  const map = index.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new InputError("weight_map is missing or not an object", { file: indexFile, field: "weight_map" });
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\") || shard.startsWith(".")) {
      throw new InputError(`weight_map[${JSON.stringify(name)}] = ${JSON.stringify(shard)} is not a shard file name`, { file: indexFile, field: "weight_map" });
    }
    out.set(name, shard);
  }
  return out;
}

/**
 * Writes a checkpoint into `dir`: one `<prefix>.safetensors` when everything fits in `maxShardBytes`, else shards
 * filled greedily in source order (a tensor larger than the limit gets a shard of its own) plus the index.
 * Each file is written atomically; the index last. Returns the file names written.
 */
export function writeCheckpoint(
  dir: string,
  sources: readonly TensorSource[],
  options: { maxShardBytes?: number; prefix?: string; metadata?: Record<string, string> } = {},
): string[] {
  const max = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  const prefix = options.prefix ?? "model";
  const sizeOf = (s: TensorSource) => tensorByteSize(safetensorsDtype(s.dtype), s.shape) ?? 0;
  const shards: TensorSource[][] = [];
  let current: TensorSource[] = [];
  let currentBytes = 0;
  for (const s of sources) {
    if (current.length > 0 && currentBytes + sizeOf(s) > max) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(s);
    currentBytes += sizeOf(s);
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);

  fs.mkdirSync(dir, { recursive: true });
  const names = shards.map((_, i) => shardFileName(prefix, i, shards.length));
  shards.forEach((shard, i) => writeSafetensors(path.join(dir, names[i]), shard, options.metadata));
  if (shards.length === 1) return names;
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => shard.forEach((s) => (weightMap[s.name] = names[i])));
  const totalSize = sources.reduce((n, s) => n + sizeOf(s), 0);
  writeFileAtomic(path.join(dir, indexFileName(prefix)), stringifySorted({ metadata: { total_size: totalSize }, weight_map: weightMap }));
  return [...names, indexFileName(prefix)];
}
