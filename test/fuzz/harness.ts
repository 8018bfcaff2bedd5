/**
 * Property-based fuzzing of every reader of untrusted bytes (fast-check; docs/CONTRIBUTING.md says why and how).
 * The property, for any input: the reader returns, or throws the project's own error (a LoraforgeError) whose
 * message names the file — never another exception, a hang, or a memory blow-up.
 *
 * Budget: LORAFORGE_FUZZ_RUNS inputs per property (default 200, what `npm test` runs), seed LORAFORGE_FUZZ_SEED
 * (default 15), so a failure replays exactly. Each property reports its count and time through t.diagnostic.
 * A reader added later (the GGUF reader, ...) gets its own test/fuzz/<reader>.test.ts built on `fuzz()` and
 * `ownErrorOnly()`, and any crasher found is kept under test/fuzz/crashers/<reader>/ (crashers.test.ts replays it).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import fc from "fast-check";
import { LoraforgeError } from "../../src/util/errors.js";

export const FUZZ_RUNS = Number(process.env.LORAFORGE_FUZZ_RUNS ?? 200);
export const FUZZ_SEED = Number(process.env.LORAFORGE_FUZZ_SEED ?? 15);
/** One input taking longer than this counts as a hang (inputs are at most a few KiB). */
const MAX_INPUT_MS = 5000;
/** Resident memory may not grow more than this over a whole property. */
const MAX_RSS_GROWTH = 1 << 30;

/** A scratch folder for the files a property writes, removed when the process ends. */
export function scratchDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lf-fuzz-${name}-`));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** How the inputs of the running property ended, so a report shows both paths were taken. */
const outcomes = { parsed: 0, refused: 0 };

/**
 * Runs `read`; it may return anything or throw a LoraforgeError naming `file` (its base name is enough: some
 * messages show paths relative to a folder). Any other outcome fails with the input's description.
 */
export async function ownErrorOnly(read: () => unknown, file: string): Promise<void> {
  const started = Date.now();
  try {
    await read();
    outcomes.parsed++;
  } catch (err) {
    if (!(err instanceof LoraforgeError)) throw new Error(`not a LoraforgeError: ${(err as Error)?.stack ?? String(err)}`, { cause: err });
    assert.ok(err.message.includes(path.basename(file)), `the error does not name ${path.basename(file)}: ${err.message}`);
    outcomes.refused++;
  }
  const ms = Date.now() - started;
  assert.ok(ms < MAX_INPUT_MS, `one input took ${ms} ms (a hang?)`);
}

/** Checks `property` on FUZZ_RUNS seeded inputs and reports how many ran in how long. */
export async function fuzz<T>(t: TestContext, name: string, input: fc.Arbitrary<T>, property: (value: T) => Promise<void>): Promise<void> {
  const rss = process.memoryUsage().rss;
  let peak = rss;
  const started = performance.now();
  let count = 0;
  outcomes.parsed = outcomes.refused = 0;
  await fc.assert(
    fc.asyncProperty(input, async (value) => {
      count++;
      await property(value);
      peak = Math.max(peak, process.memoryUsage().rss);
    }),
    { numRuns: FUZZ_RUNS, seed: FUZZ_SEED },
  );
  const seconds = (performance.now() - started) / 1000;
  const growth = `rss +${((peak - rss) / 1048576).toFixed(0)} MiB`;
  t.diagnostic(`fuzz ${name}: ${count} inputs in ${seconds.toFixed(2)} s (seed ${FUZZ_SEED}; ${outcomes.parsed} parsed, ${outcomes.refused} refused), ${growth}`);
  assert.ok(peak - rss < MAX_RSS_GROWTH, `memory grew by ${peak - rss} bytes`);
}

/** Bytes derived from a valid sample: flipped bytes, a cut, a spliced run, or random bytes of similar size. */
export function mutated(sample: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = sample.length;
  const flips = fc.array(fc.tuple(fc.nat(Math.max(0, n - 1)), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
    const out = Uint8Array.from(sample);
    for (const [at, byte] of edits) out[at] = byte;
    return out;
  });
  const cut = fc.nat(n).map((at) => sample.slice(0, at));
  const splice = fc.tuple(fc.nat(n), fc.uint8Array({ maxLength: 64 })).map(([at, bytes]) => {
    const out = new Uint8Array(n + bytes.length);
    out.set(sample.subarray(0, at));
    out.set(bytes, at);
    out.set(sample.subarray(at), at + bytes.length);
    return out;
  });
  return fc.oneof(flips, cut, splice, fc.uint8Array({ maxLength: Math.max(16, n) }));
}

/** Text derived from a valid sample the same ways, at character level (stays a string). */
export function mutatedText(sample: string): fc.Arbitrary<string> {
  const n = sample.length;
  const piece = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("{", "}", "[", "]", '"', ",", ":", "\n", "\\", "null", "-1", "1e309", "\u0000", "\uFEFF", "{%", "%}", "{{", "}}"));
  const edit = fc.tuple(fc.nat(n), fc.nat(8), piece);
  return fc.oneof(
    fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => edits.reduce((s, [at, drop, text]) => s.slice(0, at) + text + s.slice(at + drop), sample)),
    fc.nat(n).map((at) => sample.slice(0, at)),
    fc.string({ unit: "binary", maxLength: 200 }),
  );
}
