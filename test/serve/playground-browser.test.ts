import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import type { ServeFixture } from "./helpers/fixture.js";
import { chatIds, greedyAlone, makeFixture, startServer } from "./helpers/fixture.js";

// The playground page in a real headless Chromium (Debian's `chromium`, which .ci/run installs).

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let fx: ServeFixture;
let url: string;
let stop: () => Promise<void>;
let browser: Browser;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  fx = makeFixture();
  const adapters = (["alpha", "beta"] as const).map((name) => ({ name, path: fx.adapters[name] }));
  ({ url, stop } = await startServer(fx, { adapters }));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
});
after(async () => {
  await browser?.close();
  await stop?.();
  fx?.cleanup();
});

// Code run in the page is given as text: this project's TypeScript has no DOM types.
const RECORD_STATES = `(() => {
  window.seen = { a: [], b: [] };
  for (const side of ["a", "b"]) {
    const el = document.getElementById("out-" + side);
    new MutationObserver(() => {
      const t = el.textContent;
      if (t && window.seen[side].at(-1) !== t) window.seen[side].push(t);
    }).observe(el, { childList: true, characterData: true, subtree: true });
  }
})()`;

/** Clicks Run and returns every distinct text each column showed until both finished. */
async function runBoth(page: Page): Promise<{ a: string[]; b: string[] }> {
  await page.evaluate(RECORD_STATES);
  await page.click("#run");
  await page.waitForFunction(`document.getElementById("status").textContent === "done"`, undefined, { timeout: 30_000 });
  return (await page.evaluate("window.seen")) as { a: string[]; b: string[] };
}

describe("serve: the playground page in headless Chromium", () => {
  it("loads, lists the models, streams two answers side by side; switching the adapter changes the answer", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(`document.getElementById("model-b").options.length === 3`);
    const options = await page.$$eval("#model-a option", (els) => els.map((e) => e.getAttribute("value")));
    assert.deepEqual(options, ["base", "alpha", "beta"]);

    const prompt = "Describe the sea.";
    await page.fill("#prompt", prompt);
    await page.fill("#max-tokens", "24");
    await page.selectOption("#model-a", "base");
    await page.selectOption("#model-b", "alpha");
    const first = await runBoth(page);
    const ids = chatIds(fx, prompt);
    const base = greedyAlone(fx, ids, 24).text;
    const alpha = greedyAlone(fx, ids, 24, fx.adapters.alpha).text;
    const beta = greedyAlone(fx, ids, 24, fx.adapters.beta).text;
    assert.notEqual(base, alpha);
    assert.notEqual(alpha, beta);
    assert.equal(await page.textContent("#out-a"), base);
    assert.equal(await page.textContent("#out-b"), alpha);
    // Streamed: each column showed several growing prefixes of its final answer before the end.
    for (const [side, final] of [["a", base], ["b", alpha]] as const) {
      const states = first[side];
      assert.ok(states.length >= 3, `column ${side} showed ${states.length} states`);
      assert.ok(states.every((t) => final.startsWith(t)), `column ${side}: every state is a prefix of the answer`);
    }
    assert.match((await page.textContent("#meta-b")) ?? "", /24 tokens/);

    await page.selectOption("#model-b", "beta");
    await runBoth(page);
    assert.equal(await page.textContent("#out-a"), base);
    assert.equal(await page.textContent("#out-b"), beta);
    await page.close();
  });
});
