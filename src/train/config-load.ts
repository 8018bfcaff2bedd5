import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { parseHubId } from "../formats/index.js";
import { ConfigError } from "../util/errors.js";
import { nearest } from "../util/suggest.js";
import type { TrainConfig } from "./config-schema.js";
import { KEY_ALIASES, dataSchema, loraSchema, trainConfigSchema } from "./config-schema.js";

type Plain = Record<string, unknown>;

const KEYS_AT: Record<string, string[]> = {
  "": Object.keys(trainConfigSchema.shape),
  data: Object.keys(dataSchema.shape),
  lora: Object.keys(loraSchema.shape),
};

function isPlain(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a YAML or JSON config file into a plain object. */
export function readConfigFile(file: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid ${/\.json$/i.test(file) ? "JSON" : "YAML"}: ${(err as Error).message}`);
  }
  if (!isPlain(value)) throw new ConfigError(`${file}: the config must be a mapping of keys to values`);
  return value;
}

function getPath(obj: Plain, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split(".")) cur = isPlain(cur) ? cur[part] : undefined;
  return cur;
}

function setPath(obj: Plain, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isPlain(cur[part])) cur[part] = {};
    cur = cur[part] as Plain;
  }
  cur[parts[parts.length - 1]] = value;
}

function deletePath(obj: Plain, dotted: string): void {
  const parts = dotted.split(".");
  const parent = parts.length === 1 ? obj : getPath(obj, parts.slice(0, -1).join("."));
  if (isPlain(parent)) delete parent[parts[parts.length - 1]];
}

/** Rewrites TRL spellings (max_length, per_device_train_batch_size, lora_r, ...) to ours. */
function applyAliases(raw: Plain, source: string): void {
  for (const [alias, canonical] of Object.entries(KEY_ALIASES)) {
    const value = getPath(raw, alias);
    if (value === undefined) continue;
    if (getPath(raw, canonical) !== undefined) {
      throw new ConfigError(`${source}: both '${alias}' and '${canonical}' are set; they are the same setting, keep one`);
    }
    deletePath(raw, alias);
    setPath(raw, canonical, value);
  }
}

/** Unknown keys are errors that suggest the nearest valid key. */
function checkKnownKeys(raw: Plain, source: string, prefix = ""): void {
  const allowed = KEYS_AT[prefix];
  for (const [key, value] of Object.entries(raw)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (!allowed.includes(key)) {
      const guess = nearest(key, allowed);
      throw new ConfigError(`${source}: unknown key '${dotted}'${guess ? `; did you mean '${prefix ? `${prefix}.` : ""}${guess}'?` : ""}`, {
        hint: "`loraforge train --print-schema` lists every key",
      });
    }
    if (KEYS_AT[dotted] && isPlain(value)) checkKnownKeys(value, source, dotted);
  }
}

/** Parses a command-line value like YAML does (numbers, booleans, [lists]); plain text stays a string. */
export function parseOverrideValue(text: string): unknown {
  try {
    return YAML.parse(text);
  } catch {
    return text;
  }
}

/**
 * Applies `--key value` / `--key=value` overrides (nested keys with dots: `--lora.r 32`; TRL spellings are
 * mapped to ours) to a raw config whose own aliases are already resolved.
 */
function applyOverrides(raw: Plain, args: readonly string[]): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument '${arg}'; overrides look like --learning_rate 1e-4`);
    const eq = arg.indexOf("=");
    const key = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith("--")) value = args[++i];
    else throw new ConfigError(`--${key} needs a value`);
    setPath(raw, KEY_ALIASES[key] ?? key, parseOverrideValue(value));
  }
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.join(".") || "(config)";
  return `'${key}': ${issue.message}`;
}

/** Validates a raw config object: aliases, overrides, unknown keys, types and ranges. */
export function resolveConfig(raw: Plain, source: string, overrides: readonly string[] = []): TrainConfig {
  const copy = structuredClone(raw);
  applyAliases(copy, source);
  applyOverrides(copy, overrides);
  checkKnownKeys(copy, source);
  const parsed = trainConfigSchema.safeParse(copy);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(formatIssue);
    throw new ConfigError(`${source}: invalid config:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}

/** Loads a config file, applies command-line overrides, validates. Relative paths resolve from the file. */
export function loadTrainConfig(file: string, overrides: readonly string[] = []): TrainConfig {
  const config = resolveConfig(readConfigFile(file), file, overrides);
  const base = path.dirname(path.resolve(file));
  const resolve = (p: string) => path.resolve(base, p);
  return {
    ...config,
    // A Hub id (owner/name[@rev]) with no such folder beside the config stays an id; the CLI resolves it in the cache.
    model: parseHubId(config.model) && !existsSync(resolve(config.model)) ? config.model : resolve(config.model),
    output_dir: resolve(config.output_dir),
    data: {
      ...config.data,
      train: Array.isArray(config.data.train) ? config.data.train.map(resolve) : resolve(config.data.train),
      validation: config.data.validation === undefined ? undefined : resolve(config.data.validation),
    },
  };
}

/** JSON Schema of the config, for editors (`loraforge train --print-schema`). */
export function trainConfigJsonSchema(): unknown {
  return z.toJSONSchema(trainConfigSchema, { io: "input" });
}
