// Tokenizer workers started before the first read: the input's size in bytes decides whether they start, the
// outputs are byte for byte those of one thread (long conversations split at turn boundaries included), and a run
// that fails — a worker that cannot load, invalid records found while the workers load — ends with its error and
// leaves no worker running.
import assert from "node:assert/strict";
import { readFileSync, truncateSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { prepareDataset, type TrainingRecord, type TruncationReport } from "../../src/data/index.js";
import { MIN_BYTES_FOR_WORKERS, tokenizeStream, withTokenizerPool } from "../../src/data/tokenize-all.js";
import { TokenizerPool } from "../../src/data/tokenize-pool.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { InputError } from "../../src/util/errors.js";
import { jsonl, LLAMA31, tempDir, writeFixture } from "./helpers.js";

const dir = tempDir();
const spec = { modelDir: LLAMA31, trainOn: "all" as const };

/** Worker threads of this process that have started and not yet stopped. */
const live = new Set<unknown>();
process.on("worker", (worker) => {
  live.add(worker);
  worker.once("exit", () => live.delete(worker));
});
const liveWorkers = () => live.size;

/** Multi-turn ShareGPT rows: 4–11 turns of a few words, role aliases, every 7th starting with the assistant. */
function conversations(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => {
    const turns = 4 + (i % 8);
    const first = i % 7 === 3 ? 1 : 0;
    return {
      conversations: Array.from({ length: turns }, (_, t) => {
        const assistant = (t + first) % 2 === 1;
        return { from: assistant ? ["gpt", "chatgpt", "bard"][t % 3] : "human", value: `${assistant ? "answer" : "question"} ${i}.${t}: ${"word ".repeat(3 + ((i * t) % 17))}end` };
      }),
    };
  });
}

test("the input's size decides: below MIN_BYTES_FOR_WORKERS this thread tokenizes alone, from it with a worker per other core", async () => {
  const small = writeFixture(dir, "small.jsonl", "x");
  const large = writeFixture(dir, "large.jsonl", "");
  truncateSync(large, MIN_BYTES_FOR_WORKERS); // a sparse file: only its size matters here
  assert.equal(await withTokenizerPool(spec, [small], undefined, async (pool) => pool), undefined);
  const cores = availableParallelism();
  assert.equal(await withTokenizerPool(spec, [large], undefined, async (pool) => pool?.workers.length), cores > 1 ? cores - 1 : undefined);
  assert.equal(await withTokenizerPool(spec, [small], 3, async (pool) => pool?.workers.length), 2, "the threads the caller asks for, this one included");
  assert.equal(await withTokenizerPool(spec, [large], 1, async (pool) => pool), undefined, "1 = this thread");
  assert.equal(liveWorkers(), 0);
});

test("prepare writes the same bytes with a worker and this thread as on this thread alone, on conversations split at turn boundaries", async () => {
  const input = writeFixture(dir, "multi.jsonl", jsonl(conversations(48)));
  const outputs = [];
  for (const workers of [1, 2]) {
    const outDir = path.join(dir, `multi-${workers}`);
    const { report } = await prepareDataset([input], { modelDir: LLAMA31, outDir, maxSeqLength: 96, workers, batchSize: 6, force: true });
    assert.ok((report.truncation as TruncationReport).policies.turns.records.split > 10, "the fixture makes the turns policy split records");
    outputs.push(["train.jsonl", "val.jsonl", "report.json"].map((f) => readFileSync(path.join(outDir, f), "utf8")));
  }
  assert.ok(outputs[0][0].split("\n").length > 48);
  assert.deepEqual(outputs[1], outputs[0]);
  assert.equal(liveWorkers(), 0);
});

test("a worker that cannot load its tokenizer fails the run with its error, instead of leaving it waiting", async () => {
  const pool = new TokenizerPool({ modelDir: path.join(dir, "no-such-model"), trainOn: "all" }, 2);
  async function* items() {
    for (let i = 0; i < 10; i++) yield { record: { source: { file: "s", line: i + 1 }, format: "text", kind: "text", text: `item ${i}` } as TrainingRecord };
  }
  await assert.rejects(tokenizeStream(items(), loadTokenizer(LLAMA31), spec, { total: 10, pool, batchSize: 2 }, () => {}).finally(() => pool.close()), /no-such-model/);
  assert.equal(liveWorkers(), 0);
});

test("invalid records found while the workers load: the InputError naming the line, and no worker left running", async () => {
  const rows = jsonl(conversations(20)).split("\n");
  rows[4] = "{not json";
  const input = writeFixture(dir, "bad.jsonl", rows.join("\n"));
  await assert.rejects(prepareDataset([input], { modelDir: LLAMA31, outDir: path.join(dir, "bad"), workers: 2, force: true }), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /bad\.jsonl:5: malformed JSON/);
    return true;
  });
  assert.equal(liveWorkers(), 0);
});
