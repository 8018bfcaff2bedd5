import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { exportJob, STRATEGIES } from "../../src/export/index.js";
import { makeCaseModel, TRL_CASE } from "../train/interop/trl-case.js";
import type { TrlGolden } from "../train/interop/trl-golden-check.js";
import { checkAgainstTrlGolden } from "../train/interop/trl-golden-check.js";
import { JOB_GPUS, writeJobCase } from "./interop/job-case.js";

// Re-checks, without Python, what interop/steps/50_export_job.py recorded from the exported job run with 2 CPU
// processes under Accelerate: our 20 steps on the same case match its per-step losses and final adapter, and
// exporting the case today writes the settings that run used (a change to the mapping means: rerun the interop).

interface JobGolden extends TrlGolden {
  gpus: number;
  batch: unknown;
  job: Record<string, unknown>;
  strategy_checks: Record<string, string[]>;
  adapter_taken_by: string[];
}

const file = path.join("test", "golden", "export_job.json");

function readGolden(): JobGolden {
  assert.ok(fs.existsSync(file), `${file} is missing: run npm run test:interop`);
  const golden = JSON.parse(fs.readFileSync(file, "utf8")) as JobGolden;
  assert.deepEqual(golden.case, JSON.parse(JSON.stringify(TRL_CASE)), "the golden file was made for another case: rerun npm run test:interop");
  return golden;
}

describe("export-job golden file from the 2-process TRL + Accelerate job", () => {
  it("exporting the case writes the settings the recorded job ran with", async () => {
    const golden = readGolden();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "lf-job-golden-"));
    try {
      makeCaseModel(path.join(work, "model"));
      const r = await exportJob({ configFile: writeJobCase(work), out: path.join(work, "job"), gpus: golden.gpus });
      assert.equal(golden.gpus, JOB_GPUS);
      assert.deepEqual(r.batch, golden.batch);
      const job = JSON.parse(fs.readFileSync(path.join(work, "job", "job.json"), "utf8")) as Record<string, unknown>;
      for (const key of Object.keys(golden.job)) assert.deepEqual(job[key], golden.job[key], `job.json ${key}`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("the job's adapter was taken by loraforge merge and export gguf-adapter", () => {
    assert.deepEqual(readGolden().adapter_taken_by, ["loraforge merge", "loraforge export gguf-adapter"]);
  });

  it("every strategy's QLoRA export passed the checks the interop suite can run without a GPU", () => {
    const golden = readGolden();
    assert.deepEqual(Object.keys(golden.strategy_checks).sort(), [...STRATEGIES].sort(), "a strategy without interop checks: rerun npm run test:interop");
    for (const [name, checks] of Object.entries(golden.strategy_checks)) {
      for (const check of ["ClusterConfig.from_yaml_file", "SFTConfig(**sft, bf16=False)", "LoraConfig(**lora)", "BitsAndBytesConfig(**quantization)"]) {
        assert.ok(checks.includes(check), `${name}: ${check}`);
      }
    }
    assert.ok(golden.strategy_checks.fsdp.includes("fsdp_config keys are accelerate launch options"));
    assert.ok(golden.strategy_checks["deepspeed-zero3"].includes("deepspeed_config keys are accelerate launch options"));
  });

  it("loraforge's 20 steps match the job's per-step losses and final adapter", () => {
    checkAgainstTrlGolden(readGolden());
  });
});
