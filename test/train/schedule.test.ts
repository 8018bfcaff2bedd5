import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lrMultiplier, resolveWarmupSteps } from "../../src/train/schedule.js";

// Expected values computed by hand from transformers' definitions (get_linear_schedule_with_warmup,
// get_cosine_schedule_with_warmup with num_cycles 0.5, get_constant_schedule_with_warmup).
describe("learning-rate schedules", () => {
  it("linear with warmup: starts at 0, peaks after warmup, reaches 0 at the last step", () => {
    const got = Array.from({ length: 11 }, (_, s) => lrMultiplier("linear", s, 2, 10));
    const want = [0, 0.5, 1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8, 0];
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `step ${i}: ${v} vs ${want[i]}`));
  });

  it("cosine decays to 0 at the last step", () => {
    assert.equal(lrMultiplier("cosine", 0, 0, 10), 1);
    assert.ok(Math.abs(lrMultiplier("cosine", 5, 0, 10) - 0.5) < 1e-12);
    assert.ok(Math.abs(lrMultiplier("cosine", 10, 0, 10)) < 1e-12);
    assert.ok(Math.abs(lrMultiplier("cosine", 3, 1, 9) - 0.5 * (1 + Math.cos(Math.PI * 0.25))) < 1e-12);
  });

  it("constant holds after warmup", () => {
    assert.deepEqual([0, 1, 2, 3, 50].map((s) => lrMultiplier("constant", s, 2, 10)), [0, 0.5, 1, 1, 1]);
  });

  it("warmup_ratio rounds up as transformers does", () => {
    assert.equal(resolveWarmupSteps(0, 0.1, 25), 3);
    assert.equal(resolveWarmupSteps(5, 0.1, 25), 5);
    assert.equal(resolveWarmupSteps(0, 0, 25), 0);
  });
});
