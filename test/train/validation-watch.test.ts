import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newWatchState, overfittingStart, recordEval, shouldStop } from "../../src/train/validation-watch.js";

describe("validation watch", () => {
  it("tracks the best evaluation and stops after `patience` evaluations without improvement", () => {
    const s = newWatchState();
    assert.equal(recordEval(s, { step: 10, valLoss: 3, trainLoss: 3.2 }), true);
    assert.equal(recordEval(s, { step: 20, valLoss: 2.5, trainLoss: 2.6 }), true);
    assert.equal(recordEval(s, { step: 30, valLoss: 2.6, trainLoss: 2.2 }), false);
    assert.equal(shouldStop(s, 2), false);
    assert.equal(recordEval(s, { step: 40, valLoss: 2.7, trainLoss: 1.9 }), false);
    assert.equal(shouldStop(s, 2), true);
    assert.equal(shouldStop(s, undefined), false);
    assert.deepEqual(s.best, { step: 20, valLoss: 2.5 });
  });

  it("reports overfitting where validation loss turned while training loss kept falling", () => {
    const s = newWatchState();
    for (const [step, valLoss, trainLoss] of [[10, 3, 3.1], [20, 2.4, 2.5], [30, 2.5, 2.1], [40, 2.7, 1.8]]) {
      recordEval(s, { step, valLoss, trainLoss });
    }
    assert.equal(overfittingStart(s), 20);
  });

  it("does not call a joint rise, a single bad evaluation, or a new best overfitting", () => {
    const joint = newWatchState();
    for (const [step, valLoss, trainLoss] of [[10, 3, 3.1], [20, 2.4, 2.5], [30, 2.5, 2.6], [40, 2.6, 2.7]]) {
      recordEval(joint, { step, valLoss, trainLoss });
    }
    assert.equal(overfittingStart(joint), undefined);
    const single = newWatchState();
    for (const [step, valLoss, trainLoss] of [[10, 3, 3.1], [20, 2.4, 2.5], [30, 2.5, 2.1]]) recordEval(single, { step, valLoss, trainLoss });
    assert.equal(overfittingStart(single), undefined);
    const recovered = newWatchState();
    for (const [step, valLoss, trainLoss] of [[10, 3, 3.1], [20, 2.4, 2.5], [30, 2.5, 2.1], [40, 2.3, 1.9]]) {
      recordEval(recovered, { step, valLoss, trainLoss });
    }
    assert.equal(overfittingStart(recovered), undefined);
  });
});
