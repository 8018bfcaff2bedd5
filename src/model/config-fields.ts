import { ConfigError } from "../util/errors.js";

export type Json = Record<string, unknown>;

/** Typed access to one JSON object's fields; every error names the file, the field and the value. */
export class Fields {
  constructor(
    private readonly obj: Json,
    readonly file: string,
    private readonly prefix = "",
  ) {}

  fail(field: string, value: unknown, why: string): never {
    const name = this.prefix ? `${this.prefix}.${field}` : field;
    throw new ConfigError(`${this.file}: ${name} = ${JSON.stringify(value)}: ${why}`);
  }

  missing(field: string): never {
    const name = this.prefix ? `${this.prefix}.${field}` : field;
    throw new ConfigError(`${this.file}: required field ${name} is missing`);
  }

  private get(field: string): unknown {
    return this.obj[field] ?? null;
  }

  optString(field: string): string | null {
    const v = this.get(field);
    if (v === null) return null;
    if (typeof v !== "string") this.fail(field, v, "expected a string");
    return v;
  }

  optBool(field: string): boolean | null {
    const v = this.get(field);
    if (v === null) return null;
    if (typeof v !== "boolean") this.fail(field, v, "expected true or false");
    return v;
  }

  optInt(field: string): number | null {
    const v = this.get(field);
    if (v === null) return null;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) this.fail(field, v, "expected an integer");
    return v;
  }

  optPosInt(field: string): number | null {
    const v = this.optInt(field);
    if (v !== null && v <= 0) this.fail(field, v, "expected a positive integer");
    return v;
  }

  posInt(field: string): number {
    const v = this.optPosInt(field);
    if (v === null) this.missing(field);
    return v;
  }

  optPositive(field: string): number | null {
    const v = this.get(field);
    if (v === null) return null;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) this.fail(field, v, "expected a positive number");
    return v;
  }

  positive(field: string): number {
    const v = this.optPositive(field);
    if (v === null) this.missing(field);
    return v;
  }

  /** An id or a list of ids (eos_token_id may be either); [] when absent. */
  tokenIds(field: string): number[] {
    const v = this.get(field);
    if (v === null) return [];
    return Array.isArray(v) ? v.map((_, i) => this.tokenIdAt(field, i)) : [this.tokenIdAt(field)];
  }

  optTokenId(field: string): number | null {
    return this.get(field) === null ? null : this.tokenIdAt(field);
  }

  tokenIdAt(field: string, index?: number): number {
    const raw = this.get(field);
    const v = index === undefined ? raw : (raw as unknown[])[index];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      this.fail(index === undefined ? field : `${field}[${index}]`, v, "expected a token id (integer ≥ 0)");
    }
    return v;
  }
}

/**
 * The sliding-window layers an explicit `layer_types` list names (transformers 5 writes it and prefers it to the
 * older per-architecture keys), or null when the config has none.
 */
export function slidingLayersFromTypes(f: Fields, cfg: Json, numLayers: number): number[] | null {
  const types = cfg.layer_types ?? null;
  if (types === null) return null;
  if (!Array.isArray(types) || types.length !== numLayers) f.fail("layer_types", types, `must list one type per layer (${numLayers})`);
  return types.flatMap((t, i) => {
    if (t !== "sliding_attention" && t !== "full_attention") f.fail(`layer_types[${i}]`, t, "expected sliding_attention or full_attention");
    return t === "sliding_attention" ? [i] : [];
  });
}

/** The `layer_types` list transformers 5 writes: sliding_attention on the given layers, full_attention elsewhere. */
export function layerTypesJson(numLayers: number, slidingLayers: readonly number[]): string[] {
  const sliding = new Set(slidingLayers);
  return Array.from({ length: numLayers }, (_, i) => (sliding.has(i) ? "sliding_attention" : "full_attention"));
}
