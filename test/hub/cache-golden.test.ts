import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, it } from "node:test";
import { hubContext, pullModel } from "../../src/hub/index.js";
import type { CacheLayout } from "./cache-fixture.js";
import { CACHE_REPO, addCacheFixture, cacheLayout } from "./cache-fixture.js";
import { MockHub } from "./mock-hub.js";

// test/golden/hf-cache.json comes from Python huggingface_hub (interop/steps/40_hf_cache.ts): the cache layout it
// wrote when it downloaded the same fixture from the mock Hub, and what it saw reading loraforge's cache offline.
const golden = JSON.parse(fs.readFileSync("test/golden/hf-cache.json", "utf8")) as {
  pythonLayout: CacheLayout;
  pythonReadOurs: { snapshot: string; refs: string[]; files: Record<string, number>; warnings: string[] };
};
const hub = await new MockHub().start();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "lf-cache-golden-"));
after(async () => {
  await hub.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

it("loraforge writes the cache Python huggingface_hub writes (refs, relative links, blob names), and Python reads it", async () => {
  addCacheFixture(hub);
  const result = await pullModel(CACHE_REPO, { context: hubContext({ env: { HF_ENDPOINT: hub.url, HF_HOME: home } }) });
  assert.deepEqual(cacheLayout(path.join(home, "hub")), golden.pythonLayout);
  assert.equal(path.relative(home, result.snapshot), golden.pythonReadOurs.snapshot);
  assert.deepEqual(golden.pythonReadOurs.warnings, []);
  const sizes = Object.fromEntries(result.files.map((f) => [f.path, f.size]));
  assert.deepEqual(sizes, golden.pythonReadOurs.files);
});
