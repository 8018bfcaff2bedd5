// Memory bounded by the batches, not the input: the tokenizer pool never runs more than 2 × workers + 1 batches ahead
// of what it has delivered, `data prepare` holds as many records at once for 4× the input, analysis keeps no
// records (the survivors are read again from the file), a disk that fills while examples stream out leaves nothing,
// leakage is still found without the records in memory, and the near-duplicate index's shingle sets come back
// intact from its temporary file.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { analyzeData, prepareDataset, type TrainingRecord } from "../../src/data/index.js";
import { ShingleStore } from "../../src/data/shingle-store.js";
import { tokenizeRecord } from "../../src/data/tokenize-record.js";
import { tokenizeStream } from "../../src/data/tokenize-all.js";
import { TokenizerPool } from "../../src/data/tokenize-pool.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { runCli } from "../helpers/cli.js";
import { chat, jsonl, LLAMA31, tempDir, writeFixture } from "./helpers.js";

const dir = tempDir();

test("the worker pool holds at most (2 × workers + 2) batches between the source and the results, delivered in order", async () => {
  const tok = loadTokenizer(LLAMA31);
  const total = 4000;
  let pulled = 0;
  async function* source() {
    for (let i = 0; i < total; i++) {
      pulled++;
      yield { record: { source: { file: "s", line: i + 1 }, format: "text", kind: "text", text: `item ${i} of the stream` } as TrainingRecord };
    }
  }
  const batchSize = 50;
  const bound = (2 * 2 + 2) * batchSize;
  let delivered = 0;
  let mostAhead = 0;
  const spec = { modelDir: LLAMA31, trainOn: "all" as const };
  const pool = new TokenizerPool(spec, 2);
  const { peakRecordsHeld } = await tokenizeStream(source(), tok, spec, { total, pool, batchSize }, (item, result) => {
    assert.equal(item.record.source.line, delivered + 1, "results come in source order");
    if (delivered % 97 === 0) assert.deepEqual(result, tokenizeRecord(tok, item.record, "all"));
    delivered++;
    mostAhead = Math.max(mostAhead, pulled - delivered);
  }).finally(() => pool.close());
  assert.equal(delivered, total);
  assert.ok(mostAhead <= bound, `${mostAhead} records were read ahead of the results (bound ${bound})`);
  // The source is read ahead while the two workers start on their first batches (no result can arrive before the
  // loop waits), so more than two batches are held at some point.
  assert.ok(peakRecordsHeld >= 3 * batchSize && peakRecordsHeld <= bound, `peak ${peakRecordsHeld}`);
});

test("data prepare holds the same number of records at once for 4× the input", async () => {
  const held: number[] = [];
  for (const n of [100, 400]) {
    const input = writeFixture(dir, `grow-${n}.jsonl`, jsonl(Array.from({ length: n }, (_, i) => chat(`Question ${i}: what is ${i} plus ${i}?`, `It is ${2 * i}.`))));
    const out = path.join(dir, `grow-${n}`);
    const result = await prepareDataset([input], { modelDir: LLAMA31, outDir: out, batchSize: 25, force: true });
    const val = Math.round(n * 0.05);
    assert.deepEqual(result.report.split, { train: n - val, val });
    assert.equal(fs.readFileSync(path.join(out, "train.jsonl"), "utf8").trim().split("\n").length, n - val);
    held.push(result.peakRecordsHeld!);
  }
  assert.deepEqual(held, [25, 25]);
});

test("a disk that fills while examples stream out (after the first 1 MiB write): an error naming the folder, no file left", async () => {
  // ≈ 2.8 MiB of prepared lines, written ~1 MiB at a time: the first write goes through, the second (before the
  // last record is tokenized) fails.
  const input = writeFixture(dir, "big.jsonl", jsonl(Array.from({ length: 1000 }, (_, i) => chat(`Question ${i}?`, `answer ${i} `.repeat(100)))));
  const out = path.join(dir, "full");
  const run = await runCli(["data", "prepare", input, "--model", LLAMA31, "--out", out], { LORAFORGE_FAULT_ENOSPC_AFTER_BYTES: String(1.5 * 1048576) });
  assert.notEqual(run.code, 0);
  assert.match(run.out, /full: could not write the prepared data: ENOSPC: no space left on device/);
  assert.doesNotMatch(run.out, /internal error|\n\s+at .+:\d+:\d+/);
  assert.deepEqual(fs.readdirSync(out), [], "a temporary or partial file was left");
});

test("analysis keeps no records: the survivors are read again from the file, and a file changed in between is an error", async () => {
  const file = writeFixture(dir, "changing.jsonl", jsonl([chat("a?", "A"), chat("a?", "A"), chat("b?", "B"), chat("c?", "C")]));
  const data = await analyzeData([file], { valFraction: 0 });
  assert.deepEqual(data.split, { train: 3, val: 0 });
  const lines: number[] = [];
  for await (const { record } of data.records()) lines.push(record.source.line);
  assert.deepEqual(lines, [1, 3, 4], "the exact duplicate on line 2 is left out");
  fs.writeFileSync(file, jsonl([chat("a?", "A"), chat("b?", "B")]));
  await assert.rejects(async () => {
    for await (const _ of data.records());
  }, /changing\.jsonl: the data changed while it was being prepared/);
});

/** Word 3-gram Jaccard, written independently of src/data/minhash.ts (the texts are lowercase words). */
function referenceJaccard(a: string, b: string): number {
  const shingles = (t: string) => {
    const w = t.split(" ");
    return new Set(w.slice(0, -2).map((_, i) => `${w[i]} ${w[i + 1]} ${w[i + 2]}`));
  };
  const [x, y] = [shingles(a), shingles(b)];
  const common = [...x].filter((s) => y.has(s)).length;
  return common / (x.size + y.size - common);
}

const words = (tag: string, changed?: number) => Array.from({ length: 60 }, (_, i) => (i === changed ? "changed" : `${tag}${i}`)).join(" ");

test("with near-dedupe off, leakage across a random split is every validation record's first near copy in train", async () => {
  // 20 families of 3 near copies (one word changed: Jaccard ≈ 0.9) and 20 unrelated texts.
  const texts = [...Array.from({ length: 60 }, (_, i) => words(`f${i % 20}x`, i < 20 ? undefined : (i % 3) * 7 + 20)), ...Array.from({ length: 20 }, (_, i) => words(`u${i}y`))];
  const file = writeFixture(dir, "near.jsonl", jsonl(texts.map((text) => ({ text }))));
  const data = await analyzeData([file], { nearDuplicates: false, valSize: 16, seed: 5 });
  const split = new Map<number, string>();
  for await (const { record, split: s } of data.records()) split.set(record.source.line, s);
  const val = [...split].filter(([, s]) => s === "val").map(([line]) => line);
  const expected = val.flatMap((line) => {
    const train = [...split].find(([other, s]) => s === "train" && referenceJaccard(texts[line - 1], texts[other - 1]) >= 0.9);
    return train ? [[line, train[0]]] : [];
  });
  assert.ok(expected.length > 0, "the seed puts some near copies on both sides");
  assert.deepEqual(data.leakage.map((l) => [l.val.line, l.train.line]), expected);
  assert.ok(data.leakage.every((l) => l.kind === "near"));
});

test("a validation file: its own duplicates are removed, and its exact and near copies of training records are leakage", async () => {
  const train = writeFixture(dir, "t.jsonl", jsonl([{ text: words("a") }, { text: words("b") }, { text: words("b", 30) }, { text: words("c") }]));
  const val = writeFixture(dir, "v.jsonl", jsonl([{ text: words("a").toUpperCase() }, { text: words("z") }, { text: words("z") }, { text: words("c", 10) }, { text: words("b", 30) }]));
  const data = await analyzeData([train], { valFile: val });
  assert.deepEqual(data.split, { train: 3, val: 4 });
  assert.deepEqual(data.duplicates.near.map((p) => [p.kept.file, p.kept.line, p.removed.line]), [[train, 2, 3]]);
  assert.deepEqual(data.duplicates.exact.map((p) => [p.kept.file, p.kept.line, p.removed.line]), [[val, 2, 3]]);
  // v:5 copies t:3 exactly, but t:3 was removed as a near copy of t:2: it leaks as a near copy of t:2.
  assert.deepEqual(data.leakage.map((l) => [l.kind, l.val.line, l.train.line]), [["exact", 1, 1], ["near", 4, 4], ["near", 5, 2]]);
});

test("the shingle store gives back every set, from memory and from its temporary file, and removes the file on close", () => {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tempDir();
  try {
    const store = new ShingleStore(64);
    const sets = Array.from({ length: 40 }, (_, i) => Uint32Array.from({ length: (i * 7) % 30 }, (_, k) => (i * 1000 + k * 17) >>> 0));
    for (const s of sets) store.add(s);
    assert.equal(fs.readdirSync(process.env.TMPDIR).length, 1, "sets over the 64-byte buffer went to a file");
    sets.forEach((s, i) => assert.deepEqual(store.get(i), s));
    store.close();
    assert.deepEqual(fs.readdirSync(process.env.TMPDIR), []);
  } finally {
    process.env.TMPDIR = saved;
  }
});
