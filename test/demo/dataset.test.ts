import assert from "node:assert/strict";
import { test } from "node:test";
import { FIELD_KEYS, generateDataset, splitPools, toChat } from "../../src/demo/dataset.js";
import { CONTACT_SENTENCES, GIFT_SENTENCES, PAYMENT_SENTENCES, QUANTITY_WORDS, SHIPPING_PHRASES } from "../../src/demo/pools.js";
import { baselineMetrics, majorityAnswer, scoreOutputs } from "../../src/demo/metrics.js";

test("the generator is deterministic for a seed and changes with it", () => {
  const a = generateDataset({ seed: 7, trainRecords: 200, testRecords: 30 });
  const b = generateDataset({ seed: 7, trainRecords: 200, testRecords: 30 });
  const c = generateDataset({ seed: 8, trainRecords: 200, testRecords: 30 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.train, c.train);
});

test("held-out names, cities and items never appear in training, not even inside a training text", () => {
  for (const seed of [0, 1, 2]) {
    const d = generateDataset({ seed, trainRecords: 2000, testRecords: 200 });
    const trainTexts = d.train.map((r) => r.text).join("\n");
    for (const key of ["name", "city", "item"] as const) {
      const trainValues = new Set(d.train.map((r) => r.mentions[key]));
      for (const r of d.test) {
        assert.ok(!trainValues.has(r.mentions[key]), `seed ${seed}: test ${key} ${r.mentions[key]} is a training value`);
        assert.doesNotMatch(trainTexts, new RegExp(`\\b${r.mentions[key]}\\b`), `seed ${seed}: ${r.mentions[key]} appears in a training text`);
      }
    }
  }
});

test("pools split into disjoint parts that cover each pool", () => {
  const p = splitPools(3);
  for (const key of ["names", "cities", "items"] as const) {
    assert.ok(p.test[key].length > 0 && p.train[key].length > p.test[key].length);
    assert.equal(p.test[key].filter((v) => p.train[key].includes(v)).length, 0);
  }
});

test("records are chat messages: the text in the user turn, the JSON with fixed keys in the assistant turn", () => {
  const d = generateDataset({ seed: 0, trainRecords: 20, testRecords: 1 });
  for (const r of d.train) {
    const chat = toChat(r);
    assert.deepEqual(chat.messages.map((m) => m.role), ["user", "assistant"]);
    assert.ok(chat.messages[0].content.includes(r.text));
    const answer = JSON.parse(chat.messages[1].content) as Record<string, unknown>;
    assert.deepEqual(Object.keys(answer), FIELD_KEYS);
    assert.ok(r.text.includes(r.mentions.name) && r.text.includes(r.mentions.city) && r.text.includes(r.mentions.item));
  }
});

test("every field can be read from the text: its number word or one of its label's phrasings, and nothing else's", () => {
  const d = generateDataset({ seed: 4, trainRecords: 500, testRecords: 0 });
  const has = (text: string, phrases: readonly string[]) => phrases.some((p) => text.includes(p));
  for (const r of d.train) {
    const { quantity, shipping, payment, gift, contact } = r.fields;
    const numberWords = QUANTITY_WORDS.filter((w) => new RegExp(`\\b${w}\\b`, "i").test(r.text));
    assert.deepEqual(numberWords, [QUANTITY_WORDS[quantity - 1]], r.text);
    for (const [table, value] of [[SHIPPING_PHRASES, shipping], [PAYMENT_SENTENCES, payment], [CONTACT_SENTENCES, contact]] as const) {
      for (const [label, phrases] of Object.entries(table)) assert.equal(has(r.text, phrases), label === value, `${label} in "${r.text}"`);
    }
    assert.equal(has(r.text, GIFT_SENTENCES), gift);
  }
  const gifts = d.train.filter((r) => r.fields.gift).length / d.train.length;
  assert.ok(gifts > 0.2 && gifts < 0.4, `gift share ${gifts}`);
});

test("scores: JSON validity, per-field accuracy, exact match, majority baseline", () => {
  const d = generateDataset({ seed: 0, trainRecords: 50, testRecords: 2 });
  const [t0, t1] = d.test;
  const right = JSON.stringify(t0.fields);
  const oneWrong = JSON.stringify({ ...t1.fields, quantity: t1.fields.quantity + 1 });
  const m = scoreOutputs([right, oneWrong], d.test);
  assert.equal(m.jsonValid, 1);
  assert.equal(m.exactMatch, 0.5);
  assert.equal(m.fields.quantity, 0.5);
  assert.equal(m.fields.shipping, 1);
  assert.equal(scoreOutputs(["{not json", right], d.test).jsonValid, 0.5);
  const majority = majorityAnswer(d.train);
  const b = baselineMetrics(d.train, d.test);
  assert.equal(b.jsonValid, 1);
  for (const key of FIELD_KEYS) {
    const counts = new Map<unknown, number>();
    for (const r of d.train) counts.set(r.fields[key], (counts.get(r.fields[key]) ?? 0) + 1);
    assert.equal(counts.get(majority[key]), Math.max(...counts.values()), `${key}: the majority is the most common training value`);
    assert.equal(b.fields[key], d.test.filter((r) => r.fields[key] === majority[key]).length / 2, key);
  }
});
