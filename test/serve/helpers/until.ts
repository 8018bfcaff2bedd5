import assert from "node:assert/strict";

/** Polls `check` every 5 ms until it holds; fails naming `what` after about 5 s (1000 polls). */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}
