import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { runCli, spawnCli } from "../helpers/cli.js";
import { microModelFolder, preparedData, writeConfig } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-resume-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function adapterBytes(outputDir: string): Buffer {
  return fs.readFileSync(path.join(outputDir, "adapter", "adapter_model.safetensors"));
}

describe("train: Ctrl-C and --resume", () => {
  it("a run interrupted by a real SIGINT and resumed ends bit-identical to an uninterrupted run", async () => {
    const model = microModelFolder(tmp);
    const data = preparedData(tmp, { train: 48, val: 0 });
    const base = {
      model,
      data: { train: data, val_fraction: 0 },
      lora: { r: 4, lora_dropout: 0.1 },
      learning_rate: 0.002,
      batch_size: 2,
      gradient_accumulation_steps: 2,
      max_steps: 16,
      save_steps: 100,
      logging_steps: 1,
      lr_scheduler_type: "cosine",
      warmup_steps: 2,
    };
    const straight = await runCli(["train", writeConfig(tmp, "a.yaml", { ...base, output_dir: "out-a" })], { LORAFORGE_THREADS: "2" });
    assert.equal(straight.code, 0, straight.out);

    // The interrupted run uses another thread count: results must not depend on it.
    const configB = writeConfig(tmp, "b.yaml", { ...base, output_dir: "out-b" });
    const child = spawnCli(["train", configB], { LORAFORGE_THREADS: "1" });
    let out = "";
    let signalled = false;
    const onData = (d: Buffer) => {
      out += d;
      if (!signalled && /step 4\/16/.test(out)) {
        signalled = true;
        child.kill("SIGINT");
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, out);
    assert.match(out, /interrupted at step (\d+)\/16/);
    assert.match(out, /resume with: loraforge train <config> --resume/);
    const stoppedAt = Number(/interrupted at step (\d+)/.exec(out)![1]);
    assert.ok(stoppedAt >= 4 && stoppedAt < 16, `stopped at ${stoppedAt}`);
    assert.ok(fs.existsSync(path.join(tmp, "out-b", "checkpoints", `checkpoint-${stoppedAt}`)));

    const resumed = await runCli(["train", configB, "--resume"], { LORAFORGE_THREADS: "1" });
    assert.equal(resumed.code, 0, resumed.out);
    assert.match(resumed.out, /finished|reached max_steps/);
    assert.ok(adapterBytes(path.join(tmp, "out-a")).equals(adapterBytes(path.join(tmp, "out-b"))), "adapters differ");

    // metrics.jsonl has each step once, in order, after the resume.
    const steps = fs
      .readFileSync(path.join(tmp, "out-b", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { step: number }).step);
    assert.deepEqual(steps, Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it("refuses an output_dir that holds another run unless --overwrite or --resume", async () => {
    const model = microModelFolder(tmp);
    const data = preparedData(tmp, { train: 8, val: 0 });
    const config = writeConfig(tmp, "c.yaml", { model, data: { train: data }, max_steps: 1, batch_size: 4, output_dir: "out-c" });
    assert.equal((await runCli(["train", config])).code, 0);
    const again = await runCli(["train", config]);
    assert.notEqual(again.code, 0);
    assert.match(again.out, /already holds a run/);
    assert.match(again.out, /--resume.*--overwrite/);
    assert.doesNotMatch(again.out, /at .*\.ts:\d+/, "no stack trace");
    assert.equal((await runCli(["train", config, "--overwrite"])).code, 0);
  });
});
