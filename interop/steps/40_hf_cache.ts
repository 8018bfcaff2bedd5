// loraforge's Hugging Face cache as Python reads it: loraforge pulls a fixed repo from the loopback mock Hub, then
// Python huggingface_hub (offline) resolves it from the same cache and scans it. What Python saw becomes
// test/golden/hf-cache.json, which test/hub/cache-golden.test.ts re-checks without Python. (huggingface_hub comes with
// transformers in interop/requirements.txt.)
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hubContext, pullModel } from "../../src/hub/index.js";
import { CACHE_COMMIT, CACHE_REPO, addCacheFixture } from "../../test/hub/cache-fixture.js";
import { MockHub } from "../../test/hub/mock-hub.js";

const PYTHON = String.raw`
import json, os
import huggingface_hub
from huggingface_hub import hf_hub_download, scan_cache_dir, snapshot_download
home = os.environ["HF_HOME"]
snapshot = snapshot_download("${CACHE_REPO}")
weights = hf_hub_download("${CACHE_REPO}", "model.safetensors")
info = scan_cache_dir()
repo = [r for r in info.repos if r.repo_id == "${CACHE_REPO}"][0]
rev = [r for r in repo.revisions][0]
print(json.dumps({
  "snapshot": os.path.relpath(snapshot, home),
  "weights": os.path.relpath(weights, home),
  "weights_size": os.path.getsize(weights),
  "refs": {ref: rev.commit_hash for ref in rev.refs},
  "files": {f.file_name: f.size_on_disk for f in sorted(rev.files, key=lambda f: f.file_name)},
  "blobs": repo.nb_files,
  "huggingface_hub": huggingface_hub.__version__,
  "warnings": [str(w) for w in info.warnings],
}, sort_keys=True))
`;

const hub = await new MockHub().start();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "lf-hf-cache-"));
try {
  addCacheFixture(hub);
  await pullModel(CACHE_REPO, { context: hubContext({ env: { HF_ENDPOINT: hub.url, HF_HOME: home } }) });
  const env = { ...process.env, HF_HOME: home, HF_HUB_OFFLINE: "1" };
  for (const k of ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "HF_ENDPOINT"]) delete env[k];
  const py = spawnSync("python", ["-c", PYTHON], { env, encoding: "utf8" });
  if (py.status !== 0) throw new Error(`python failed:\n${py.stderr}`);
  const seen = JSON.parse(py.stdout) as { snapshot: string; refs: Record<string, string>; warnings: string[] };
  if (seen.snapshot !== path.join("hub", "models--org--cache-check", "snapshots", CACHE_COMMIT)) throw new Error(`Python resolved ${seen.snapshot}`);
  if (seen.warnings.length) throw new Error(`scan_cache_dir warnings: ${seen.warnings.join("; ")}`);
  const out = path.resolve("test/golden/hf-cache.json");
  fs.writeFileSync(out, `${JSON.stringify(seen, null, 2)}\n`);
  console.log(`Python huggingface_hub read loraforge's cache: ${out}`);
} finally {
  await hub.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
