import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import type { ServeFixture } from "./helpers/fixture.js";
import { CONTEXT, chatIds, greedyAlone, makeFixture, startServer } from "./helpers/fixture.js";
import { until } from "./helpers/until.js";

// The server as the official OpenAI client sees it, on a random tiny base with adapters built here.

let fx: ServeFixture;
let url: string;
let stop: () => Promise<void>;
let client: OpenAI;

before(async () => {
  fx = makeFixture();
  ({ url, stop } = await startServer(fx, { adapters: [{ name: "alpha", path: fx.adapters.alpha }, { name: "beta", path: fx.adapters.beta }] }));
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
});
after(async () => {
  await stop();
  fx.cleanup();
});

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OpenAI.APIError, `expected an APIError, got ${String(error)}`);
    return error;
  }
  assert.fail("the request succeeded");
}

describe("serve: the OpenAI API through the official client", () => {
  it("chat completion: the base's chat template, greedy text equal to the library's generate, usage counts", async () => {
    const r = await client.chat.completions.create({ model: "base", messages: [{ role: "user", content: "Name three colors." }], max_tokens: 12, temperature: 0 });
    const ids = chatIds(fx, "Name three colors.");
    const want = greedyAlone(fx, ids, 12);
    assert.equal(r.object, "chat.completion");
    assert.equal(r.model, "base");
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, "assistant");
    assert.equal(r.choices[0].message.content, want.text);
    assert.equal(r.choices[0].finish_reason, want.tokens < 12 ? "stop" : "length");
    assert.deepEqual(r.usage, { prompt_tokens: ids.length, completion_tokens: want.tokens, total_tokens: ids.length + want.tokens });
    // The llama2 template wraps the user turn in [INST] … [/INST]: the prompt is the template's, not the raw text.
    assert.ok(ids.length > fx.tokenizer.encode("Name three colors.").length + 4);
  });

  it("streaming chat: role first, deltas that add up to the non-streamed answer, a finish reason, usage on request", async () => {
    const body = { model: "alpha", messages: [{ role: "user" as const, content: "Write a haiku." }], max_tokens: 10, temperature: 0 };
    const whole = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let role: string | undefined;
    let finish: string | null = null;
    let usage: unknown;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      assert.equal(chunk.object, "chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      role ??= choice.delta.role;
      text += choice.delta.content ?? "";
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(role, "assistant");
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, whole.choices[0].finish_reason);
    assert.deepEqual(usage, whole.usage);
    assert.ok(chunks >= 3, `${chunks} chunks`);
  });

  it("the raw event stream ends with data: [DONE]", async () => {
    const res = await fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "base", prompt: "Once upon a time", max_tokens: 3, temperature: 0, stream: true }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const events = (await res.text()).split("\n\n").filter((e) => e.length > 0);
    assert.equal(events.at(-1), "data: [DONE]");
    assert.ok(events.slice(0, -1).every((e) => e.startsWith("data: {")));
  });

  it("text completion: the prompt as the tokenizer encodes it, OpenAI's default of 16 tokens, stop strings cut the text", async () => {
    const r = await client.completions.create({ model: "beta", prompt: "The capital of France is", temperature: 0 });
    const ids = fx.tokenizer.encode("The capital of France is");
    const want = greedyAlone(fx, ids, 16, fx.adapters.beta, false);
    assert.equal(r.object, "text_completion");
    assert.equal(r.choices[0].text, want.text);
    assert.equal(r.usage?.completion_tokens, want.tokens);
    assert.equal(r.usage?.prompt_tokens, ids.length);
    // A stop string taken from inside the greedy answer ends it just before.
    const cutAt = Math.floor(want.text.length / 2);
    const stopString = want.text.slice(cutAt, cutAt + 3);
    const stopped = await client.completions.create({ model: "beta", prompt: "The capital of France is", temperature: 0, stop: [stopString] });
    assert.equal(stopped.choices[0].text, want.text.slice(0, want.text.indexOf(stopString)));
    assert.equal(stopped.choices[0].finish_reason, "stop");
    // Token ids as the prompt give the same answer.
    const byIds = await client.completions.create({ model: "beta", prompt: ids, temperature: 0 });
    assert.equal(byIds.choices[0].text, want.text);
  });

  it("the model field selects the adapter: each answers differently from the base, as generate with it attached", async () => {
    const ids = chatIds(fx, "Tell me a story.");
    const answers: Record<string, string> = {};
    for (const [model, dir] of [["base", undefined], ["alpha", fx.adapters.alpha], ["beta", fx.adapters.beta]] as const) {
      const r = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 10, temperature: 0 });
      answers[model] = r.choices[0].message.content ?? "";
      assert.equal(answers[model], greedyAlone(fx, ids, 10, dir).text, model);
    }
    assert.notEqual(answers.alpha, answers.base);
    assert.notEqual(answers.beta, answers.base);
    assert.notEqual(answers.alpha, answers.beta);
  });

  it("sampling: a seed replays, another seed differs; penalties and top_p are accepted", async () => {
    const body = { model: "base", prompt: "A", max_tokens: 12, temperature: 1.5, top_p: 0.95, presence_penalty: 0.5, frequency_penalty: 0.3 };
    const a = await client.completions.create({ ...body, seed: 7 });
    const b = await client.completions.create({ ...body, seed: 7 });
    const others = await Promise.all([8, 9, 10].map((seed) => client.completions.create({ ...body, seed })));
    assert.equal(a.choices[0].text, b.choices[0].text);
    assert.ok(others.some((o) => o.choices[0].text !== a.choices[0].text));
  });

  it("lists the base and every loaded adapter", async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    assert.deepEqual(ids, ["base", "alpha", "beta"]);
    assert.ok(list.data.every((m) => m.object === "model"));
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
    assert.equal(health.status, "ok");
  });

  it("bad requests get OpenAI-shaped 4xx errors and the server keeps serving", async () => {
    const messages = [{ role: "user" as const, content: "hi" }];
    const unknownModel = await apiError(client.chat.completions.create({ model: "nope", messages }));
    assert.equal(unknownModel.status, 404);
    assert.equal(unknownModel.code, "model_not_found");
    const n2 = await apiError(client.chat.completions.create({ model: "base", messages, n: 2 }));
    assert.equal(n2.status, 400);
    assert.equal(n2.param, "n");
    const unknownField = await apiError(client.chat.completions.create({ model: "base", messages, tools: [{ type: "function", function: { name: "f" } }] }));
    assert.equal(unknownField.status, 400);
    assert.equal(unknownField.param, "tools");
    const badTemperature = await apiError(client.chat.completions.create({ model: "base", messages, temperature: 3 }));
    assert.equal(badTemperature.status, 400);
    assert.equal(badTemperature.param, "temperature");
    const longPrompt = Array.from({ length: CONTEXT + 10 }, (_, i) => 100 + i);
    const tooLong = await apiError(client.completions.create({ model: "base", prompt: longPrompt }));
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.code, "context_length_exceeded");
    // max_tokens is capped by what the context leaves.
    const nearEnd = Array.from({ length: CONTEXT - 3 }, (_, i) => 100 + i);
    const capped = await client.completions.create({ model: "base", prompt: nearEnd, max_tokens: 50, temperature: 0 });
    assert.ok((capped.usage?.completion_tokens ?? 99) <= 3);

    for (const [body, type] of [
      ['{"model": "base", "prompt": "x"', "invalid json"],
      ["[1, 2]", "not an object"],
      ['{"prompt": "x"}', "no model"],
    ] as const) {
      const res = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(res.status, 400, type);
      const json = (await res.json()) as ErrorBody;
      assert.equal(json.error.type, "invalid_request_error", type);
      assert.equal(typeof json.error.message, "string");
    }
    const missing = await fetch(`${url}/v1/nothing`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as ErrorBody).error.type, "not_found_error");
    const ok = await client.completions.create({ model: "base", prompt: "still here", max_tokens: 2 });
    assert.equal(ok.choices.length, 1);
  });
});

describe("serve: limits", () => {
  it("--api-key: a missing or wrong key gets 401, the right one is served; /health needs none", async () => {
    const { url: keyed, stop: stopKeyed } = await startServer(fx, { apiKey: "sekret" });
    try {
      const good = new OpenAI({ baseURL: `${keyed}/v1`, apiKey: "sekret", maxRetries: 0 });
      const bad = new OpenAI({ baseURL: `${keyed}/v1`, apiKey: "wrong", maxRetries: 0 });
      assert.equal((await good.models.list()).data[0].id, "base");
      const e = await apiError(bad.models.list());
      assert.equal(e.status, 401);
      assert.equal(e.code, "invalid_api_key");
      const none = await fetch(`${keyed}/v1/models`);
      assert.equal(none.status, 401);
      assert.equal((await fetch(`${keyed}/health`)).status, 200);
    } finally {
      await stopKeyed();
    }
  });

  it("a full queue answers 429 (one running, none queued), and serves again once free", async () => {
    const { url: small, stop: stopSmall } = await startServer(fx, { limits: { maxBatch: 1, maxQueue: 0 } });
    try {
      const c = new OpenAI({ baseURL: `${small}/v1`, apiKey: "x", maxRetries: 0 });
      const long = c.completions.create({ model: "base", prompt: "busy", max_tokens: 60, temperature: 0 });
      await until(async () => ((await (await fetch(`${small}/health`)).json()) as { running: number }).running === 1, "the long request to be running");
      const refused = await apiError(c.completions.create({ model: "base", prompt: "me too", max_tokens: 2 }));
      assert.equal(refused.status, 429);
      assert.equal(refused.type, "rate_limit_error");
      assert.equal((await long).choices[0].finish_reason, "length");
      assert.equal((await c.completions.create({ model: "base", prompt: "now", max_tokens: 2 })).choices.length, 1);
    } finally {
      await stopSmall();
    }
  });
});
