import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import type { LoraServer } from "../../src/serve/index.js";
import type { ServeFixture } from "./helpers/fixture.js";
import { chatIds, greedyAlone, makeFixture, startServer } from "./helpers/fixture.js";
import { until } from "./helpers/until.js";

let fx: ServeFixture;
let url: string;
let server: LoraServer;
let stop: () => Promise<void>;
let client: OpenAI;

before(async () => {
  fx = makeFixture();
  ({ url, server, stop } = await startServer(fx, { adapters: [{ name: "alpha", path: fx.adapters.alpha }] }));
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
});
after(async () => {
  await stop();
  fx.cleanup();
});

async function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

const ask = (model: string, content: string, maxTokens: number) =>
  client.chat.completions.create({ model, messages: [{ role: "user", content }], max_tokens: maxTokens, temperature: 0 });

describe("serve: adapters loaded and unloaded at run time (vLLM's endpoints)", () => {
  it("load: the new name is listed and answers as generate with that adapter; unload: gone, 404 after", async () => {
    const loaded = await post("/v1/load_lora_adapter", { lora_name: "gamma", lora_path: fx.adapters.gamma });
    assert.equal(loaded.status, 200, loaded.text);
    assert.deepEqual((await client.models.list()).data.map((m) => m.id), ["base", "alpha", "gamma"]);
    const r = await ask("gamma", "Hello there", 8);
    assert.equal(r.choices[0].message.content, greedyAlone(fx, chatIds(fx, "Hello there"), 8, fx.adapters.gamma).text);
    assert.notEqual(r.choices[0].message.content, (await ask("base", "Hello there", 8)).choices[0].message.content);
    const unloaded = await post("/v1/unload_lora_adapter", { lora_name: "gamma" });
    assert.equal(unloaded.status, 200, unloaded.text);
    assert.deepEqual((await client.models.list()).data.map((m) => m.id), ["base", "alpha"]);
    await assert.rejects(ask("gamma", "Hello there", 2), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 404);
    // The name can be reused.
    assert.equal((await post("/v1/load_lora_adapter", { lora_name: "gamma", lora_path: fx.adapters.beta })).status, 200);
    assert.equal((await post("/v1/unload_lora_adapter", { lora_name: "gamma" })).status, 200);
  });

  it("clear 4xx errors: duplicate name, missing path, an adapter for another base, unknown name, bad body", async () => {
    const cases: Array<[string, unknown, number, RegExp]> = [
      ["/v1/load_lora_adapter", { lora_name: "alpha", lora_path: fx.adapters.beta }, 400, /already loaded/],
      ["/v1/load_lora_adapter", { lora_name: "base", lora_path: fx.adapters.beta }, 400, /base model's name/],
      ["/v1/load_lora_adapter", { lora_name: "x", lora_path: `${fx.dir}/no-such-folder` }, 404, /no adapter folder/],
      ["/v1/load_lora_adapter", { lora_name: "x", lora_path: fx.foreignAdapter }, 400, /q_proj.*(another base|576)/],
      ["/v1/load_lora_adapter", { lora_name: "x", lora_path: fx.modelDir }, 400, /cannot load/],
      ["/v1/load_lora_adapter", { lora_name: "x" }, 400, /lora_path/],
      ["/v1/unload_lora_adapter", { lora_name: "never-loaded" }, 404, /no adapter named/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await post(path, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(JSON.parse(r.text).error.message, message);
    }
    assert.deepEqual((await client.models.list()).data.map((m) => m.id), ["base", "alpha"]);
  });

  it("unloading an adapter in use lets its requests finish with that adapter, then frees it", async () => {
    assert.equal((await post("/v1/load_lora_adapter", { lora_name: "beta", lora_path: fx.adapters.beta })).status, 200);
    const want = greedyAlone(fx, chatIds(fx, "A long answer please"), 40, fx.adapters.beta);
    const stream = await client.chat.completions.create({ model: "beta", messages: [{ role: "user", content: "A long answer please" }], max_tokens: 40, temperature: 0, stream: true });
    let text = "";
    let unloadedMidway = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (!unloadedMidway && text.length > 0) {
        unloadedMidway = true;
        assert.equal((await post("/v1/unload_lora_adapter", { lora_name: "beta" })).status, 200);
        assert.equal(server.context.registry.drainingCount, 1, "held by the running request");
        await assert.rejects(ask("beta", "new request", 2), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 404);
      }
    }
    assert.ok(unloadedMidway);
    assert.equal(text, want.text);
    await until(() => server.context.registry.drainingCount === 0, "the unloaded adapter to be freed");
  });

  it("a client that disconnects cancels its sequence and frees its KV cache; the others go on", async () => {
    const before = server.context.scheduler.stats.cancelled;
    const controller = new AbortController();
    const other = ask("alpha", "keep going", 30);
    const stream = await client.chat.completions.create(
      { model: "base", messages: [{ role: "user", content: "never mind" }], max_tokens: 120, temperature: 0, stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 2) controller.abort();
      }
    } catch {
      // The client may end the iteration quietly or with an abort error.
    }
    assert.equal(received, 2);
    await until(() => server.context.scheduler.stats.cancelled === before + 1, "the sequence to be cancelled");
    assert.equal(server.context.scheduler.load.running + server.context.scheduler.load.waiting <= 1, true);
    const r = await other;
    assert.equal(r.choices[0].message.content, greedyAlone(fx, chatIds(fx, "keep going"), 30, fx.adapters.alpha).text);
    await until(() => server.context.scheduler.load.running === 0, "an empty batch");

    // A non-streaming request whose client goes away is cancelled too.
    const gone = new AbortController();
    const pending = client.completions.create({ model: "base", prompt: "bye", max_tokens: 120, temperature: 0 }, { signal: gone.signal });
    await until(() => server.context.scheduler.load.running === 1, "the request to run");
    gone.abort();
    await assert.rejects(pending);
    await until(() => server.context.scheduler.stats.cancelled === before + 2, "the second cancellation");
  });
});
