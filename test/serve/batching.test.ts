import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import type { LoraServer } from "../../src/serve/index.js";
import type { ServeFixture } from "./helpers/fixture.js";
import { chatIds, greedyAlone, makeFixture, startServer } from "./helpers/fixture.js";

// Continuous batching must not change answers: a request's greedy (or seeded) output is byte-identical whether
// it runs alone or inside any mixed batch of adapters, the base, prompt lengths and prefill chunkings.

let fx: ServeFixture;
const servers: Array<{ server: LoraServer; url: string; stop: () => Promise<void> }> = [];

before(async () => {
  fx = makeFixture();
  const adapters = (["alpha", "beta", "gamma"] as const).map((name) => ({ name, path: fx.adapters[name] }));
  servers.push(await startServer(fx, { adapters }));
  servers.push(await startServer(fx, { adapters, limits: { maxBatch: 3, prefillChunk: 5 } }));
});
after(async () => {
  for (const s of servers) await s.stop();
  fx.cleanup();
});

interface Req {
  model: string;
  prompt: string;
  maxTokens: number;
  stream: boolean;
  chat: boolean;
  seed?: number;
}

const MODELS = ["base", "alpha", "beta", "gamma"];
const PROMPTS = ["Hi", "What is the weather like on Mars in the summer?", "List", "Translate 'good morning' into French, German and Italian, please.", "1 2 3"];

function requests(count: number): Req[] {
  return Array.from({ length: count }, (_, i) => ({
    model: MODELS[i % MODELS.length],
    prompt: PROMPTS[(i * 3) % PROMPTS.length],
    maxTokens: 6 + ((i * 7) % 11),
    stream: i % 2 === 0,
    chat: i % 3 !== 2,
    ...(i % 5 === 4 ? { seed: i } : {}),
  }));
}

async function send(url: string, r: Req): Promise<string> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "x", maxRetries: 0 });
  const sampling = r.seed === undefined ? { temperature: 0 } : { temperature: 1.2, top_p: 0.9, seed: r.seed };
  const common = { model: r.model, max_tokens: r.maxTokens, ...sampling };
  if (r.chat) {
    const messages = [{ role: "user" as const, content: r.prompt }];
    if (!r.stream) return (await client.chat.completions.create({ ...common, messages })).choices[0].message.content ?? "";
    let text = "";
    for await (const c of await client.chat.completions.create({ ...common, messages, stream: true })) text += c.choices[0]?.delta.content ?? "";
    return text;
  }
  if (!r.stream) return (await client.completions.create({ ...common, prompt: r.prompt })).choices[0].text;
  let text = "";
  for await (const c of await client.completions.create({ ...common, prompt: r.prompt, stream: true })) text += c.choices[0]?.text ?? "";
  return text;
}

const key = (r: Req) => JSON.stringify({ ...r, stream: false });

/** Each distinct request served alone (one at a time). */
async function aloneAnswers(url: string, reqs: Req[]): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  for (const r of reqs) if (!answers.has(key(r))) answers.set(key(r), await send(url, r));
  return answers;
}

function batchedRowsPerStep(server: LoraServer, run: () => Promise<void>): Promise<number> {
  const { steps, rows } = { ...server.context.scheduler.stats };
  return run().then(() => (server.context.scheduler.stats.rows - rows) / (server.context.scheduler.stats.steps - steps));
}

describe("serve: batch invariance", () => {
  it("alone answers equal the library's generate for the same request", async () => {
    const r = { model: "beta", prompt: PROMPTS[1], maxTokens: 9, stream: false, chat: true };
    assert.equal(await send(servers[0].url, r), greedyAlone(fx, chatIds(fx, r.prompt), 9, fx.adapters.beta).text);
  });

  it("mixed batches (4 models, streaming or not, greedy or seeded, two schedulers) give every request its alone answer", async () => {
    const reqs = requests(14);
    const alone = await aloneAnswers(servers[0].url, reqs);
    // The answers really differ by model and prompt (the check has something to catch).
    assert.ok(new Set(alone.values()).size >= 10);
    for (const { server, url } of servers) {
      let got: string[] = [];
      const rowsPerStep = await batchedRowsPerStep(server, async () => {
        got = await Promise.all(reqs.map((r) => send(url, r)));
      });
      assert.ok(rowsPerStep > 2, `batched: ${rowsPerStep.toFixed(1)} rows per step`);
      reqs.forEach((r, i) => assert.equal(got[i], alone.get(key(r)), `request ${i} (${r.model}, ${r.chat ? "chat" : "text"})`));
    }
  });

  it("load: 50 concurrent clients, mixed adapters and base, streaming and not: zero errors, every answer its alone answer", async () => {
    // 12 distinct requests (4 models × 3 prompts, chat or not), each sent by several clients, streaming or not.
    const reqs = Array.from({ length: 50 }, (_, i) => ({ model: MODELS[i % 4], prompt: PROMPTS[(i >> 2) % 3], maxTokens: 8, stream: i % 3 === 0, chat: i % 12 < 6 }));
    const alone = await aloneAnswers(servers[0].url, reqs);
    const started = Date.now();
    const results = await Promise.allSettled(reqs.map((r) => send(servers[0].url, r)));
    const errors = results.filter((r) => r.status === "rejected");
    assert.equal(errors.length, 0, String((errors[0] as PromiseRejectedResult | undefined)?.reason));
    results.forEach((r, i) => assert.equal((r as PromiseFulfilledResult<string>).value, alone.get(key(reqs[i])), `client ${i}`));
    assert.ok(Date.now() - started < 30_000);
  });
});
