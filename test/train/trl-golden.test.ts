import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { TRL_CASE } from "./interop/trl-case.js";
import type { TrlGolden } from "./interop/trl-golden-check.js";
import { checkAgainstTrlGolden } from "./interop/trl-golden-check.js";

// Re-checks, without Python, what interop/steps/30_trl_sft.py recorded from TRL's SFTTrainer + PEFT
// (tolerances in interop/trl-golden-check.ts).

describe("trainer golden file from TRL SFTTrainer + PEFT", () => {
  it("20 AdamW steps with warmup, accumulation and clipping: per-step loss and final adapter", () => {
    const file = path.join("test", "golden", "trl_sft.json");
    assert.ok(fs.existsSync(file), `${file} is missing: run npm run test:interop`);
    const golden = JSON.parse(fs.readFileSync(file, "utf8")) as TrlGolden;
    assert.deepEqual(golden.case, JSON.parse(JSON.stringify(TRL_CASE)), "the golden file was made for another case: rerun npm run test:interop");
    checkAgainstTrlGolden(golden);
  });
});
