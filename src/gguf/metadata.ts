import { InputError } from "../util/errors.js";

/** A metadata value as read: numbers (all integer and float kinds), booleans, strings, or a flat array of them. */
export type GgufValue = number | boolean | string | GgufValue[];

/** Typed access to a GGUF file's key/value metadata; a missing or mistyped key is an InputError naming it. */
export class GgufMetadata {
  readonly file: string;
  private readonly entries: ReadonlyMap<string, GgufValue>;

  constructor(file: string, entries: ReadonlyMap<string, GgufValue>) {
    this.file = file;
    this.entries = entries;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  raw(key: string): GgufValue | undefined {
    return this.entries.get(key);
  }

  private fail(key: string, expected: string): never {
    const value = this.entries.get(key);
    if (value === undefined) throw new InputError(`metadata key is missing`, { file: this.file, field: key });
    const shown = Array.isArray(value) ? `an array of ${value.length}` : JSON.stringify(value);
    throw new InputError(`expected ${expected}, found ${shown}`, { file: this.file, field: key });
  }

  string(key: string): string {
    const v = this.entries.get(key);
    return typeof v === "string" ? v : this.fail(key, "a string");
  }

  optString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  /** A non-negative integer (any of the integer value types). */
  u32(key: string): number {
    const v = this.entries.get(key);
    return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : this.fail(key, "a non-negative integer");
  }

  optU32(key: string): number | undefined {
    return this.has(key) ? this.u32(key) : undefined;
  }

  number(key: string): number {
    const v = this.entries.get(key);
    return typeof v === "number" && Number.isFinite(v) ? v : this.fail(key, "a number");
  }

  optNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key) : undefined;
  }

  optBool(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.entries.get(key);
    return typeof v === "boolean" ? v : this.fail(key, "a bool");
  }

  stringArray(key: string): string[] {
    const v = this.entries.get(key);
    return Array.isArray(v) && v.every((s) => typeof s === "string") ? (v as string[]) : this.fail(key, "an array of strings");
  }

  numberArray(key: string): number[] {
    const v = this.entries.get(key);
    return Array.isArray(v) && v.every((s) => typeof s === "number") ? (v as number[]) : this.fail(key, "an array of numbers");
  }
}
