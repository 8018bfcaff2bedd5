import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { runCliInProcess, spawnCli } from "../helpers/cli.js";
import type { ServeFixture } from "../serve/helpers/fixture.js";
import { makeFixture } from "../serve/helpers/fixture.js";

let fx: ServeFixture;
before(() => {
  fx = makeFixture();
});
after(() => fx.cleanup());

/** Starts `loraforge serve` and resolves with its URL once it listens. */
function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawnCli(["serve", "--model", fx.modelDir, "--chat-template", "llama2", "--port", "0", ...args]);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 30_000);
    child.stdout!.on("data", () => {
      const m = /listening on (http:\/\/\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    });
    child.on("exit", () => reject(new Error(`serve exited:\n${out}`)));
  });
}

describe("loraforge serve", () => {
  it("--adapter NAME=DIR, --api-key; SIGTERM lets a running stream finish, then exits 0", async () => {
    const { child, url, output } = await startServe(["--served-model-name", "base", "--adapter", `alpha=${fx.adapters.alpha}`, "--api-key", "k1"]);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    const auth = { authorization: "Bearer k1", "content-type": "application/json" };
    assert.equal((await fetch(`${url}/v1/models`)).status, 401);
    const models = (await (await fetch(`${url}/v1/models`, { headers: auth })).json()) as { data: Array<{ id: string }> };
    assert.deepEqual(models.data.map((m) => m.id), ["base", "alpha"]);

    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ model: "alpha", messages: [{ role: "user", content: "go" }], max_tokens: 40, temperature: 0, stream: true }),
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(!first.done);
    child.kill("SIGTERM");
    let rest = new TextDecoder().decode(first.value);
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.match(rest, /"finish_reason":"length"/);
    assert.ok(rest.trimEnd().endsWith("data: [DONE]"));
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.match(output(), /SIGTERM, finishing running requests/);
    await assert.rejects(fetch(`${url}/health`));
  });

  it("SIGINT on an idle server exits 0", async () => {
    const { child } = await startServe([]);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  });

  it("bad flags and adapters are errors naming them", async () => {
    const bad = await runCliInProcess("serve", "--model", fx.modelDir, "--adapter", "oops");
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /--adapter oops: expected NAME=DIR/);
    const foreign = await runCliInProcess("serve", "--model", fx.modelDir, "--adapter", `x=${fx.foreignAdapter}`);
    assert.equal(foreign.code, 1, foreign.out);
    assert.match(foreign.out, /adapter x=.*cannot load/);
    const port = await runCliInProcess("serve", "--model", fx.modelDir, "--port", "http");
    assert.equal(port.code, 1);
    assert.match(port.out, /--port http/);
  });
});
