// The loopback mock Hub (test/hub/mock-hub.ts) in its own process, holding one repo with a `--mb` MiB safetensors
// file; prints its URL and serves until killed. Both clients of bench/hub download from it.
import { randomBytes } from "node:crypto";
import { MockHub } from "../../test/hub/mock-hub.js";

const mb = Number(process.argv[process.argv.indexOf("--mb") + 1] ?? 256);
const hub = await new MockHub().start();
hub.addRepo("bench/model", {
  "config.json": JSON.stringify({ architectures: ["LlamaForCausalLM"] }),
  "tokenizer.json": JSON.stringify({ version: "1.0" }),
  "model.safetensors": randomBytes(mb * 1024 * 1024),
});
console.log(hub.url);
