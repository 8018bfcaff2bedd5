import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import type { ServeFixture } from "./helpers/fixture.js";
import { makeFixture, startServer } from "./helpers/fixture.js";
import { until } from "./helpers/until.js";

// A few thousand tiny requests, good and bad, some abandoned mid-stream: the server answers each and its memory
// stays flat (resident set after a forced GC, compared after a warm-up).

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

let fx: ServeFixture;
let url: string;
let stop: () => Promise<void>;

before(async () => {
  fx = makeFixture();
  ({ url, stop } = await startServer(fx, { adapters: [{ name: "alpha", path: fx.adapters.alpha }] }));
});
after(async () => {
  await stop();
  fx.cleanup();
});

const post = (body: string, signal?: AbortSignal) =>
  fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, signal });

/** Request i of the mix; resolves to the status it got (0 for an abandoned stream). */
async function one(i: number): Promise<number> {
  const model = i % 2 === 0 ? "base" : "alpha";
  switch (i % 20) {
    case 16:
    case 17:
      return (await post('{"model": "base", "prompt": ')).status;
    case 18:
      return (await post(JSON.stringify({ model: "ghost", prompt: "x" }))).status;
    case 19: {
      const controller = new AbortController();
      const res = await post(JSON.stringify({ model, prompt: `s${i}`, max_tokens: 100, stream: true }), controller.signal);
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.read().catch(() => undefined);
      return 0;
    }
    default: {
      const res = await post(JSON.stringify({ model, prompt: `n${i % 97}`, max_tokens: 1 + (i % 4 === 0 ? 2 : 0), temperature: 0 }));
      await res.json();
      return res.status;
    }
  }
}

async function wave(from: number, count: number, concurrency: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = from;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < from + count) {
        const status = await one(next++);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

/** Resident set, and what JavaScript holds (heap + array buffers: KV caches, activations), after a full GC. */
function memoryAfterGc(): { rss: number; js: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, js: (m.heapUsed + m.arrayBuffers) / 2 ** 20 };
}

describe("serve: soak", () => {
  it("2000 mixed requests (good, malformed, unknown model, abandoned streams): each answered as expected, memory flat", async () => {
    await wave(0, 400, 32);
    const start = memoryAfterGc();
    const statuses = new Map<number, number>();
    const samples = [];
    for (let w = 1; w < 5; w++) {
      for (const [status, n] of await wave(400 * w, 400, 32)) statuses.set(status, (statuses.get(status) ?? 0) + n);
      samples.push(memoryAfterGc());
    }
    assert.deepEqual(Object.fromEntries([...statuses].sort()), { 0: 80, 200: 1280, 400: 160, 404: 80 });
    const end = samples.at(-1)!;
    // What the server allocates itself must come back; the resident set may wander with the allocator, no more.
    assert.ok(end.js - start.js < 8, `JavaScript memory grew ${(end.js - start.js).toFixed(1)} MiB over 1600 requests`);
    assert.ok(Math.min(...samples.map((m) => m.rss)) - start.rss < 48, `resident set: ${start.rss.toFixed(0)} → ${samples.map((m) => m.rss.toFixed(0)).join(", ")} MiB`);
    // An abandoned stream's sequence stops at the scheduler's next token, which may come just after the client left:
    // the server must come back to idle, not necessarily by the time the last response has been read.
    const idle = async () => {
      const health = (await (await fetch(`${url}/health`)).json()) as { running: number; waiting: number };
      return health.running === 0 && health.waiting === 0;
    };
    await until(idle, "no sequence running or waiting on /health after the last request");
  });
});
