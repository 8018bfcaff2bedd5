// Fuzzing the data readers and record conversion: JSONL, JSON, CSV and Parquet files through loadRecords, and the
// prepared {"input_ids", "labels"} lines training reads (harness.ts).
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { loadRecords, parsePreparedLine } from "../../src/data/index.js";
import { fuzz, mutated, mutatedText, ownErrorOnly, scratchDir } from "./harness.js";

const dir = scratchDir("data");

const chatLine = (q: string, a: string) => JSON.stringify({ messages: [{ role: "system", content: "be brief" }, { role: "user", content: q }, { role: "assistant", content: a, weight: 1 }] });
const SAMPLES: Record<string, string> = {
  jsonl: `${chatLine("hi", "hello")}\n${JSON.stringify({ conversations: [{ from: "human", value: "q" }, { from: "gpt", value: "a" }] })}\n${chatLine("2+2?", "4")}\n`,
  json: JSON.stringify([{ instruction: "add", input: "2 2", output: "4" }, { instruction: "greet", output: "hi" }]),
  csv: 'prompt,completion\n"say ""hi""",hi\nline,"two\nlines"\n',
};

async function loadAll(file: string): Promise<void> {
  await loadRecords([file]);
}

describe("data readers under fuzzing", () => {
  for (const [ext, sample] of Object.entries(SAMPLES)) {
    it(`${ext}: mutated files parse or raise an InputError naming the file`, { timeout: 300_000 }, async (t) => {
      const file = path.join(dir, `fuzzed.${ext}`);
      await fuzz(t, `${ext} records`, mutatedText(sample), async (text) => {
        fs.writeFileSync(file, text);
        await ownErrorOnly(() => loadAll(file), file);
      });
    });
  }

  it("json: any JSON value as the file parses or raises an InputError naming the file", { timeout: 300_000 }, async (t) => {
    const file = path.join(dir, "value.json");
    await fuzz(t, "json values", fc.jsonValue(), async (value) => {
      fs.writeFileSync(file, JSON.stringify(value) ?? "null");
      await ownErrorOnly(() => loadAll(file), file);
    });
  });

  it("parquet: mutated files parse or raise an InputError naming the file", { timeout: 300_000 }, async (t) => {
    const file = path.join(dir, "fuzzed.parquet");
    const sample = fs.readFileSync("test/data/fixtures/chat-snappy.parquet");
    await fuzz(t, "parquet records", mutated(sample), async (bytes) => {
      fs.writeFileSync(file, bytes);
      await ownErrorOnly(() => loadAll(file), file);
    });
  });

  it("prepared lines: any text parses or raises an InputError naming the file and line", { timeout: 300_000 }, async (t) => {
    const valid = '{"input_ids":[1,2,3],"labels":[-100,2,3]}';
    await fuzz(t, "prepared lines", fc.oneof(mutatedText(valid), fc.jsonValue().map((v) => JSON.stringify(v) ?? "")), async (line) => {
      await ownErrorOnly(() => parsePreparedLine(line, "train.jsonl", 7, 64), "train.jsonl, line 7");
    });
  });
});
