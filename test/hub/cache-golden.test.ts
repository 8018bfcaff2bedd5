import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, it } from "node:test";
import { hubContext, pullModel } from "../../src/hub/index.js";
import { CACHE_REPO, addCacheFixture, cacheView } from "./cache-fixture.js";
import { MockHub } from "./mock-hub.js";

// test/golden/hf-cache.json is what Python huggingface_hub saw when it read a cache loraforge filled
// (interop/steps/40_hf_cache.ts, offline: snapshot_download, hf_hub_download, scan_cache_dir without warnings).
const golden = JSON.parse(fs.readFileSync("test/golden/hf-cache.json", "utf8")) as {
  snapshot: string;
  refs: Record<string, string>;
  files: Record<string, number>;
  blobs: number;
  warnings: string[];
};
const hub = await new MockHub().start();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "lf-cache-golden-"));
after(async () => {
  await hub.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

it("the cache loraforge fills is the one Python huggingface_hub read (same snapshot, refs, files, blobs)", async () => {
  addCacheFixture(hub);
  const result = await pullModel(CACHE_REPO, { context: hubContext({ env: { HF_ENDPOINT: hub.url, HF_HOME: home } }) });
  assert.deepEqual(golden.warnings, []);
  assert.equal(path.relative(home, result.snapshot), golden.snapshot);
  assert.deepEqual(cacheView(path.join(home, "hub")), { refs: golden.refs, files: golden.files, blobs: golden.blobs });
});
