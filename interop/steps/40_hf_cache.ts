// loraforge's Hugging Face cache against Python huggingface_hub's own (which comes with transformers in
// interop/requirements.txt), both fed by the loopback mock Hub:
//  1. Python downloads the fixture repo from the mock into its cache: the layout it writes (refs, snapshot links,
//     blob names) is the reference, and a second client accepting the mock's answers;
//  2. loraforge pulls the same repo into another cache; Python, offline, resolves it and scans it without warnings;
//  3. Python uploads a folder to the mock (preupload, LFS batch "basic", PUT, NDJSON commit): the push side of the
//     mock accepts the reference client too.
// What Python wrote and saw becomes test/golden/hf-cache.json, which test/hub/cache-golden.test.ts re-checks.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { hubContext, pullModel } from "../../src/hub/index.js";
import { CACHE_COMMIT, CACHE_REPO, addCacheFixture, cacheLayout } from "../../test/hub/cache-fixture.js";
import { MockHub, TOKEN, sha256 } from "../../test/hub/mock-hub.js";

const DOWNLOAD = String.raw`
from huggingface_hub import snapshot_download
snapshot_download("${CACHE_REPO}", allow_patterns=["*.json", "*.md", "*.safetensors"])
`;

const READ = String.raw`
import json, os
import huggingface_hub
from huggingface_hub import hf_hub_download, scan_cache_dir, snapshot_download
home = os.environ["HF_HOME"]
snapshot = snapshot_download("${CACHE_REPO}")
weights = hf_hub_download("${CACHE_REPO}", "model.safetensors")
info = scan_cache_dir()
repo = [r for r in info.repos if r.repo_id == "${CACHE_REPO}"][0]
rev = list(repo.revisions)[0]
print(json.dumps({
  "huggingface_hub": huggingface_hub.__version__,
  "snapshot": os.path.relpath(snapshot, home),
  "weights_size": os.path.getsize(weights),
  "refs": sorted(rev.refs),
  "files": {f.file_name: f.size_on_disk for f in rev.files},
  "warnings": [str(w) for w in info.warnings],
}, sort_keys=True))
`;

const UPLOAD = (dir: string) => String.raw`
from huggingface_hub import HfApi
api = HfApi()
api.create_repo("me/py-push", exist_ok=True)
api.upload_folder(repo_id="me/py-push", folder_path="${dir}", commit_message="from python")
`;

const run = promisify(execFile);
function pythonEnv(home: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HF_HOME: home, HF_HUB_DISABLE_XET: "1", ...extra };
  for (const k of ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "HF_ENDPOINT"]) if (!(k in extra)) delete env[k];
  return env;
}

const hub = await new MockHub().start();
const pyHome = fs.mkdtempSync(path.join(os.tmpdir(), "lf-hf-py-"));
const ourHome = fs.mkdtempSync(path.join(os.tmpdir(), "lf-hf-ours-"));
try {
  addCacheFixture(hub);
  await run("python", ["-c", DOWNLOAD], { env: pythonEnv(pyHome, { HF_ENDPOINT: hub.url }) });
  const pythonLayout = cacheLayout(path.join(pyHome, "hub"));

  await pullModel(CACHE_REPO, { context: hubContext({ env: { HF_ENDPOINT: hub.url, HF_HOME: ourHome } }) });
  const read = JSON.parse((await run("python", ["-c", READ], { env: pythonEnv(ourHome, { HF_HUB_OFFLINE: "1" }) })).stdout) as { snapshot: string; warnings: string[] };
  if (read.snapshot !== path.join("hub", "models--org--cache-check", "snapshots", CACHE_COMMIT)) throw new Error(`Python resolved ${read.snapshot}`);
  if (read.warnings.length) throw new Error(`scan_cache_dir warnings on loraforge's cache: ${read.warnings.join("; ")}`);

  const upload = path.join(ourHome, "upload");
  fs.mkdirSync(upload);
  const weights = Buffer.alloc(5000, 1);
  fs.writeFileSync(path.join(upload, "adapter_config.json"), "{}\n");
  fs.writeFileSync(path.join(upload, "adapter_model.safetensors"), weights);
  await run("python", ["-c", UPLOAD(upload)], { env: pythonEnv(pyHome, { HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN }) });
  const pushed = hub.commits.find((c) => c.repo === "me/py-push");
  if (!pushed || sha256(pushed.files.get("adapter_model.safetensors") ?? Buffer.alloc(0)) !== sha256(weights) || pushed.lfsPaths.join() !== "adapter_model.safetensors") {
    throw new Error("Python's upload_folder did not land in the mock as sent");
  }

  const out = path.resolve("test/golden/hf-cache.json");
  fs.writeFileSync(out, `${JSON.stringify({ pythonLayout, pythonReadOurs: read }, null, 2)}\n`);
  console.log(`Python huggingface_hub ${String((read as { huggingface_hub?: string }).huggingface_hub)}: layouts written to ${out}`);
} finally {
  await hub.stop();
  for (const d of [pyHome, ourHome]) fs.rmSync(d, { recursive: true, force: true });
}
