// The piece memo keeps its pieces, not the texts they were cut from: V8 makes a substring of 13 or more characters
// a view of its parent, so a memoized view would keep a whole conversation alive for as long as the memo lives
// (up to a million pieces: `data prepare`'s workers grew with the file). Measured after forced collections, with
// a margin of 4× between the bound and what the views would keep (20 MB).
import assert from "node:assert/strict";
import { test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { fixtureTokenizer } from "./helpers.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

test("encoding long texts leaves them collectable: the memo holds copies of its pieces", () => {
  const tok = fixtureTokenizer("qwen3");
  tok.encode(" word", { addSpecialTokens: false });
  gc();
  const before = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < 40; i++) {
    // 500 kB each; the first piece is new every time and long enough to be a view of the text.
    const text = `distinctopening${i}abcdefghij${" word".repeat(100_000)}`;
    assert.equal(tok.encode(text, { addSpecialTokens: false }).length > 100_000, true);
  }
  gc();
  const kept = v8.getHeapStatistics().used_heap_size - before;
  assert.ok(kept < 5 * 1048576, `${(kept / 1048576).toFixed(1)} MB still held after encoding 20 MB of text`);
});
