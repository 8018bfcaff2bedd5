import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cpuBackend } from "../../src/tensor/index.js";
import type { LinearAdapter } from "../../src/model/index.js";
import { generate } from "../../src/model/index.js";
import type { ApiError} from "../../src/serve/index.js";
import { Scheduler } from "../../src/serve/index.js";
import { microConfig, microModel } from "../model/helpers/micro-model.js";

const model = microModel(microConfig("llama"), cpuBackend, 3, "f32");
const NONE: ReadonlyMap<string, LinearAdapter> = new Map();
const decode = (ids: number[]) => ids.map((id) => `<${id}>`).join("");
const options = (maxNewTokens: number) => ({ temperature: 0, maxNewTokens, eosTokenIds: [], decode });
const limits = { maxBatch: 8, maxQueue: 8, prefillChunk: 64 };

describe("Scheduler", () => {
  it("a long prompt is prefilled in chunks while another sequence keeps decoding", async () => {
    const scheduler = new Scheduler(model, { ...limits, prefillChunk: 2 }, 128);
    const order: string[] = [];
    const short = scheduler.submit({ promptIds: [1, 2], adapters: NONE, options: options(6), onToken: () => order.push("short") });
    const longPrompt = Array.from({ length: 30 }, (_, i) => 3 + (i % 40));
    const long = scheduler.submit({ promptIds: longPrompt, adapters: NONE, options: options(2), onToken: () => order.push("long") });
    const [a, b] = await Promise.all([short.done, long.done]);
    // The short one finishes before the long prompt's ~15 chunks are done.
    assert.deepEqual(order.slice(0, 6), Array(6).fill("short"));
    assert.equal(a.text, decode(generate(model, [1, 2], options(6)).tokens));
    assert.equal(b.text, decode(generate(model, longPrompt, options(2)).tokens));
    assert.equal(b.finishReason, "length");
  });

  it("a client callback that throws cancels its own sequence only", async () => {
    const scheduler = new Scheduler(model, limits, 128);
    const bad = scheduler.submit({
      promptIds: [5, 6],
      adapters: NONE,
      options: options(8),
      onText: () => {
        throw new Error("socket gone");
      },
    });
    const good = scheduler.submit({ promptIds: [7, 8], adapters: NONE, options: options(8) });
    assert.equal((await bad.done).finishReason, "cancelled");
    const r = await good.done;
    assert.equal(r.finishReason, "length");
    assert.equal(r.text, decode(generate(model, [7, 8], options(8)).tokens));
  });

  it("a full queue refuses with 429; a closed scheduler with 503; bad settings are config errors", async () => {
    const scheduler = new Scheduler(model, { maxBatch: 1, maxQueue: 1, prefillChunk: 64 }, 128);
    const first = scheduler.submit({ promptIds: [1], adapters: NONE, options: options(3) });
    const second = scheduler.submit({ promptIds: [2], adapters: NONE, options: options(3) });
    assert.throws(() => scheduler.submit({ promptIds: [3], adapters: NONE, options: options(3) }), (e: ApiError) => e.status === 429);
    await Promise.all([first.done, second.done]);
    assert.throws(() => scheduler.submit({ promptIds: [], adapters: NONE, options: options(3) }), /prompt is empty/);
    scheduler.close();
    assert.throws(() => scheduler.submit({ promptIds: [3], adapters: NONE, options: options(3) }), (e: ApiError) => e.status === 503);
    await scheduler.idle();
  });
});
