// Inputs that once broke a reader (found by the fuzz tests), replayed on every run: each must end in an InputError
// naming the file, with no unhandled rejection left behind. Folder = reader: crashers/data/* go through loadRecords, crashers/gguf/* through GgufModel.open.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { it } from "node:test";
import { loadRecords } from "../../src/data/index.js";
import { GgufModel } from "../../src/gguf/index.js";
import { InputError } from "../../src/util/errors.js";

const root = path.join(import.meta.dirname, "crashers");
const READERS: Record<string, (file: string) => Promise<unknown>> = {
  data: (file) => loadRecords([file]),
  gguf: async (file) => GgufModel.open(file).close(),
};

for (const reader of fs.readdirSync(root)) {
  for (const name of fs.readdirSync(path.join(root, reader))) {
    it(`${reader}/${name}`, async () => {
      const file = path.join(root, reader, name);
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => void unhandled.push(reason);
      process.on("unhandledRejection", onUnhandled);
      try {
        await assert.rejects(READERS[reader](file), (err: Error) => err instanceof InputError && err.message.includes(name));
        await new Promise((resolve) => setTimeout(resolve, 200)); // let stray reads settle
      } finally {
        process.off("unhandledRejection", onUnhandled);
      }
      assert.deepEqual(unhandled.map(String), [], "a read was left to reject unobserved");
    });
  }
}
