import fs from "node:fs";
import path from "node:path";
import { Rng } from "../util/rng.js";
import { CITIES, CONTACT_SENTENCES, FIRST_NAMES, GIFT_SENTENCES, ITEMS, PAYMENT_SENTENCES, QUANTITY_WORDS, SHIPPING_PHRASES } from "./pools.js";

/**
 * The demo's synthetic extraction task: a short order in free text → a JSON object with fixed keys. Seeded and
 * deterministic. Every field is read from the text rather than copied from it: a number word becomes a number,
 * and each label has several phrasings. The held-out test texts mention names, cities and items from pool parts
 * that the training and validation texts never use, so the adapter is measured on texts it cannot have memorized.
 */
export interface OrderFields {
  quantity: number;
  shipping: string;
  payment: string;
  gift: boolean;
  contact: string;
}

/** What the text mentions besides the fields: values the held-out records never share with training. */
export interface OrderMentions {
  name: string;
  city: string;
  item: string;
}

export interface OrderRecord {
  text: string;
  fields: OrderFields;
  mentions: OrderMentions;
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
/** A key of the JSON answer: a field read from the text, or a value copied from it. */
export type AnswerKey = keyof OrderMentions | keyof OrderFields;
/** The answer a random base can learn: fields only (copying unseen names would be spelling tokens it never saw). */
export const FIELD_KEYS: readonly (keyof OrderFields)[] = ["quantity", "shipping", "payment", "gift", "contact"];
/** The answer for a pretrained base, which can copy the held-out names, cities and items from the text. */
export const PRETRAINED_KEYS: readonly AnswerKey[] = ["name", "city", "item", ...FIELD_KEYS];
/** Share of orders that are gifts. */
const GIFT_SHARE = 0.3;

const OPENINGS: ReadonlyArray<(m: OrderMentions, qty: string, ship: string) => string> = [
  (m, q, s) => `${m.name} from ${m.city} wants ${q} ${m.item} ${s}.`,
  (m, q, s) => `Please send ${q} ${m.item} to ${m.name} in ${m.city} ${s}.`,
  (m, q, s) => `Order from ${m.city}: ${m.name} needs ${q} ${m.item} ${s}.`,
  (m, q, s) => `${m.name} (${m.city}) ordered ${q} ${m.item}, ${s}.`,
];

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  return rng.shuffle([...items]);
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

/** One record drawn from the pools: an opening sentence, then payment, gift and contact sentences in any order. */
export function makeRecord(pools: ValuePools, rng: Rng): OrderRecord {
  const fields: OrderFields = {
    quantity: 1 + Math.floor(rng.next() * QUANTITY_WORDS.length),
    shipping: pick(Object.keys(SHIPPING_PHRASES), rng),
    payment: pick(Object.keys(PAYMENT_SENTENCES), rng),
    gift: rng.next() < GIFT_SHARE,
    contact: pick(Object.keys(CONTACT_SENTENCES), rng),
  };
  const mentions: OrderMentions = { name: pick(pools.names, rng), city: pick(pools.cities, rng), item: pick(pools.items, rng) };
  const opening = pick(OPENINGS, rng)(mentions, QUANTITY_WORDS[fields.quantity - 1], pick(SHIPPING_PHRASES[fields.shipping], rng));
  const rest = [pick(PAYMENT_SENTENCES[fields.payment], rng), pick(CONTACT_SENTENCES[fields.contact], rng)];
  if (fields.gift) rest.push(pick(GIFT_SENTENCES, rng));
  return { text: [opening, ...shuffled(rest, rng)].join(" "), fields, mentions };
}

export function generateDataset(options: DatasetOptions): DemoDataset {
  const pools = splitPools(options.seed, options.testShare);
  const rng = new Rng(options.seed >>> 0);
  const train = Array.from({ length: options.trainRecords }, () => makeRecord(pools.train, rng));
  const test = Array.from({ length: options.testRecords }, () => makeRecord(pools.test, rng));
  return { train, test, pools };
}

/** The record's value for each answer key. */
export function answerValue(record: OrderRecord, key: AnswerKey): string | number | boolean {
  return key in record.mentions ? record.mentions[key as keyof OrderMentions] : record.fields[key as keyof OrderFields];
}

/** The JSON answer, keys in a fixed order. */
export function answerJson(record: OrderRecord, keys: readonly AnswerKey[] = FIELD_KEYS): string {
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, answerValue(record, k)])));
}

/** A chat record: the user gives the instruction and the text, the assistant answers with the JSON. */
export function toChat(record: OrderRecord, keys: readonly AnswerKey[] = FIELD_KEYS): { messages: Array<{ role: string; content: string }> } {
  return {
    messages: [
      { role: "user", content: `${INSTRUCTION}\n${record.text}` },
      { role: "assistant", content: answerJson(record, keys) },
    ],
  };
}

/** Writes train.jsonl and test.jsonl (chat `messages` records) into `dir`; returns their paths. */
export function writeDataset(dir: string, data: DemoDataset, keys: readonly AnswerKey[] = FIELD_KEYS): { train: string; test: string } {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, records: readonly OrderRecord[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, records.map((r) => JSON.stringify(toChat(r, keys))).join("\n") + "\n");
    return file;
  };
  return { train: write("train.jsonl", data.train), test: write("test.jsonl", data.test) };
}
