// Hub download benchmark: `pullModel` (download, sha256 check, cache layout) of a repo holding one large LFS
// safetensors file from the loopback mock Hub, beside Python huggingface_hub's `snapshot_download` of the same files
// from the same server in the same run (HF_HUB_DISABLE_XET=1, plain HTTP as ours). The server runs in its own process;
// each run starts from an empty cache; the two clients alternate. Median wall time and MB/s of `--runs` runs.
//
//   npm run bench -- hub [--mb 256] [--runs 5] [--no-peer]
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { hubContext, pullModel } from "../../src/hub/index.js";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const mb = option("--mb", 256);
const runs = option("--runs", 5);
const PYTHON = "interop/.venv/bin/python";
const peer = !process.argv.includes("--no-peer") && existsSync(PYTHON);

const server = spawn(process.execPath, ["--import", "tsx", "bench/hub/serve-mock.ts", "--mb", String(mb)], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise<string>((resolve) => server.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim())));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function ours(): Promise<number> {
  const home = mkdtempSync(path.join(tmpdir(), "lf-bench-hub-"));
  const t = performance.now();
  await pullModel("bench/model", { context: hubContext({ env: { HF_ENDPOINT: url, HF_HOME: home } }) });
  const s = (performance.now() - t) / 1000;
  rmSync(home, { recursive: true, force: true });
  return s;
}

async function python(): Promise<number> {
  const home = mkdtempSync(path.join(tmpdir(), "lf-bench-hub-py-"));
  const env: NodeJS.ProcessEnv = { ...process.env, HF_ENDPOINT: url, HF_HOME: home, HF_HUB_DISABLE_XET: "1", HF_HUB_DISABLE_PROGRESS_BARS: "1" };
  delete env.HF_TOKEN;
  const code = "import time; from huggingface_hub import snapshot_download; t = time.perf_counter(); snapshot_download('bench/model'); print(time.perf_counter() - t)";
  const { stdout } = await promisify(execFile)(PYTHON, ["-c", code], { env });
  rmSync(home, { recursive: true, force: true });
  return Number(stdout.trim());
}

try {
  console.log(`hub: pull of a ${mb} MiB safetensors (+ config, tokenizer) from a loopback mock Hub, ${runs} runs, empty cache each`);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await ours());
    if (peer) b.push(await python());
  }
  const line = (name: string, xs: number[]) => `  ${name.padEnd(40)} ${median(xs).toFixed(2)} s  ${(mb / median(xs)).toFixed(0)} MiB/s`;
  console.log(line("loraforge pullModel (sha256 checked)", a));
  if (peer) {
    console.log(line("huggingface_hub snapshot_download", b));
    console.log(`  ratio (python / loraforge time): ${(median(b) / median(a)).toFixed(2)}`);
  } else console.log(`  peer skipped: ${PYTHON} missing (bash interop/setup.sh) or --no-peer`);
} finally {
  server.kill();
}
