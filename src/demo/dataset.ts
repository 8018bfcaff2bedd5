import fs from "node:fs";
import path from "node:path";
import { Rng } from "../util/rng.js";
import { CITIES, FIRST_NAMES, ITEMS, QUANTITY_WORDS, SHIPPING_PHRASES } from "./pools.js";

/**
 * The demo's synthetic extraction task: a short order in free text → a JSON object with fixed keys.
 * Seeded and deterministic. Names, cities and items of the held-out test records come from pool parts that the
 * training and validation records never use; quantity (a number word → a number) and shipping (a phrase → one of
 * two labels) are derived from the text rather than copied.
 */
export interface OrderFields {
  name: string;
  city: string;
  item: string;
  quantity: number;
  shipping: string;
}

export interface OrderRecord {
  text: string;
  fields: OrderFields;
}

export interface ValuePools {
  names: readonly string[];
  cities: readonly string[];
  items: readonly string[];
}

export interface DemoDataset {
  /** Training and validation records (the trainer splits them). */
  train: OrderRecord[];
  /** Held-out records whose names, cities and items never appear in `train`. */
  test: OrderRecord[];
  pools: { train: ValuePools; test: ValuePools };
}

export interface DatasetOptions {
  seed: number;
  trainRecords: number;
  testRecords: number;
  /** Share of each pool kept for the test records. */
  testShare?: number;
}

export const INSTRUCTION = "Extract the order as JSON.";
export const FIELD_KEYS: readonly (keyof OrderFields)[] = ["name", "city", "item", "quantity", "shipping"];

const TEMPLATES: ReadonlyArray<(f: OrderFields, qty: string, ship: string) => string> = [
  (f, q, s) => `${f.name} from ${f.city} wants ${q} ${f.item} ${s}.`,
  (f, q, s) => `Please send ${q} ${f.item} to ${f.name} in ${f.city} ${s}.`,
  (f, q, s) => `Order from ${f.city}: ${f.name} needs ${q} ${f.item} ${s}.`,
  (f, q, s) => `${f.name} (${f.city}) ordered ${q} ${f.item}, ${s}.`,
];

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function pick<T>(items: readonly T[], rng: Rng): T {
  return items[Math.floor(rng.next() * items.length)];
}

/** Splits each pool by the seed: the first share of a shuffled copy is the test part. */
export function splitPools(seed: number, testShare = 0.25): { train: ValuePools; test: ValuePools } {
  const rng = new Rng((seed ^ 0x5eed) >>> 0);
  const split = (pool: readonly string[]) => {
    const s = shuffled(pool, rng);
    const n = Math.max(1, Math.round(pool.length * testShare));
    return { test: s.slice(0, n), train: s.slice(n) };
  };
  const names = split(FIRST_NAMES);
  const cities = split(CITIES);
  const items = split(ITEMS);
  return {
    train: { names: names.train, cities: cities.train, items: items.train },
    test: { names: names.test, cities: cities.test, items: items.test },
  };
}

/** One record drawn from the pools. */
export function makeRecord(pools: ValuePools, rng: Rng): OrderRecord {
  const quantity = 1 + Math.floor(rng.next() * QUANTITY_WORDS.length);
  const shipping = rng.next() < 0.5 ? "express" : "standard";
  const fields: OrderFields = { name: pick(pools.names, rng), city: pick(pools.cities, rng), item: pick(pools.items, rng), quantity, shipping };
  const text = pick(TEMPLATES, rng)(fields, QUANTITY_WORDS[quantity - 1], pick(SHIPPING_PHRASES[shipping], rng));
  return { text, fields };
}

export function generateDataset(options: DatasetOptions): DemoDataset {
  const pools = splitPools(options.seed, options.testShare);
  const rng = new Rng(options.seed >>> 0);
  const train = Array.from({ length: options.trainRecords }, () => makeRecord(pools.train, rng));
  const test = Array.from({ length: options.testRecords }, () => makeRecord(pools.test, rng));
  return { train, test, pools };
}

/** The JSON answer, keys in a fixed order. */
export function answerJson(fields: OrderFields): string {
  return JSON.stringify(Object.fromEntries(FIELD_KEYS.map((k) => [k, fields[k]])));
}

/** A chat record: the user gives the instruction and the text, the assistant answers with the JSON. */
export function toChat(record: OrderRecord): { messages: Array<{ role: string; content: string }> } {
  return {
    messages: [
      { role: "user", content: `${INSTRUCTION}\n${record.text}` },
      { role: "assistant", content: answerJson(record.fields) },
    ],
  };
}

/** Writes train.jsonl and test.jsonl (chat `messages` records) into `dir`; returns their paths. */
export function writeDataset(dir: string, data: DemoDataset): { train: string; test: string } {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, records: readonly OrderRecord[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, records.map((r) => JSON.stringify(toChat(r))).join("\n") + "\n");
    return file;
  };
  return { train: write("train.jsonl", data.train), test: write("test.jsonl", data.test) };
}
