import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ServeFixture } from "./helpers/fixture.js";
import { chatIds, greedyAlone, makeFixture, startServer } from "./helpers/fixture.js";

// loraforge serve on a Gemma 3 base (sandwich norms, GeGLU, a sliding window of 8 shorter than the prompts): the
// server's greedy answers are the library's, with and without an adapter.

let fx: ServeFixture;
let url: string;
let stop: () => Promise<void>;

before(async () => {
  fx = makeFixture({ arch: "gemma3" });
  ({ url, stop } = await startServer(fx, { adapters: [{ name: "alpha", path: fx.adapters.alpha }] }));
});
after(async () => {
  await stop();
  fx.cleanup();
});

async function chat(model: string, content: string, maxTokens: number): Promise<{ text: string; tokens: number }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }], max_tokens: maxTokens, temperature: 0 }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }>; usage: { completion_tokens: number } };
  return { text: body.choices[0].message.content, tokens: body.usage.completion_tokens };
}

describe("serve: a Gemma 3 base", () => {
  it("chat completions past the sliding window equal the library's greedy generation, base and adapter", async () => {
    assert.equal(fx.model.config.architecture, "Gemma3ForCausalLM");
    const ids = chatIds(fx, "Name three colors.");
    assert.ok(ids.length > 8, `the prompt (${ids.length} tokens) must exceed the window`);
    assert.deepEqual(await chat("base", "Name three colors.", 12), greedyAlone(fx, ids, 12));
    const adapted = await chat("alpha", "Name three colors.", 12);
    assert.deepEqual(adapted, greedyAlone(fx, ids, 12, fx.adapters.alpha));
    assert.notEqual(adapted.text, (await chat("base", "Name three colors.", 12)).text, "the adapter is applied");
  });
});
