import fs from "node:fs";
import { loadAdapter } from "../lora/index.js";
import type { LinearAdapter, Model } from "../model/index.js";
import { LoraforgeError } from "../util/errors.js";
import { ApiError, badRequest, notFound } from "./api-error.js";

/** A loaded adapter: its modules by path, where it came from, and how many sequences use it now. */
export interface AdapterEntry {
  readonly name: string;
  readonly path: string;
  readonly modules: ReadonlyMap<string, LinearAdapter>;
  readonly createdAt: number;
  inUse: number;
  unloaded: boolean;
}

/** What a request runs with: the base (no adapter) or one adapter, held until released. */
export interface ModelLease {
  readonly entry?: AdapterEntry;
  readonly modules: ReadonlyMap<string, LinearAdapter>;
  release(): void;
}

const NO_ADAPTER: ReadonlyMap<string, LinearAdapter> = new Map();

/**
 * The adapters a server holds, by name. An adapter unloaded while requests use it leaves the name table at once
 * (new requests get 404) and is freed when the last of those requests releases it.
 */
export class AdapterRegistry {
  private readonly byName = new Map<string, AdapterEntry>();
  /** Unloaded adapters still in use. */
  private readonly draining = new Set<AdapterEntry>();

  constructor(
    private readonly model: Model,
    readonly baseName: string,
  ) {}

  /** Reads a PEFT adapter folder (the only time loading blocks) and registers it under `name`. */
  load(name: string, dir: string): AdapterEntry {
    if (name === this.baseName) throw badRequest(`"${name}" is the base model's name`, "lora_name", "invalid_value");
    if (this.byName.has(name)) throw badRequest(`an adapter named "${name}" is already loaded; unload it first`, "lora_name", "duplicate_name");
    if (!fs.existsSync(dir)) throw notFound(`no adapter folder at ${dir}`, "lora_path", "path_not_found");
    let modules: ReadonlyMap<string, LinearAdapter>;
    try {
      modules = loadAdapter(this.model, dir).modules;
    } catch (error) {
      // A folder that is not an adapter, or one made for another base (its shapes do not fit this model).
      if (error instanceof LoraforgeError) throw badRequest(`cannot load ${dir}: ${error.message}${error.hint ? ` (${error.hint})` : ""}`, "lora_path", "invalid_adapter");
      throw error;
    }
    const entry: AdapterEntry = { name, path: dir, modules, createdAt: Math.floor(Date.now() / 1000), inUse: 0, unloaded: false };
    this.byName.set(name, entry);
    return entry;
  }

  unload(name: string): void {
    const entry = this.byName.get(name);
    if (!entry) throw notFound(`no adapter named "${name}" is loaded`, "lora_name", "adapter_not_found");
    this.byName.delete(name);
    entry.unloaded = true;
    if (entry.inUse > 0) this.draining.add(entry);
  }

  /** The base or the adapter that `model` names, held until the lease is released. */
  acquire(model: string): ModelLease {
    if (model === this.baseName) return { modules: NO_ADAPTER, release: () => {} };
    const entry = this.byName.get(model);
    if (!entry) throw new ApiError(404, `The model \`${model}\` does not exist.`, "not_found_error", "model", "model_not_found");
    entry.inUse++;
    let held = true;
    return {
      entry,
      modules: entry.modules,
      release: () => {
        if (!held) return;
        held = false;
        if (--entry.inUse === 0 && entry.unloaded) this.draining.delete(entry);
      },
    };
  }

  list(): AdapterEntry[] {
    return [...this.byName.values()];
  }

  /** Unloaded adapters that in-flight requests still hold. */
  get drainingCount(): number {
    return this.draining.size;
  }
}
