import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { writeDemoModel } from "../../src/demo/model.js";
import { GgufFile } from "../../src/gguf/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { runCliInProcess } from "../helpers/cli.js";
import { randomAdapter } from "./fixtures.js";
import { renderWithGo } from "./go-render.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "export-ollama-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A Modelfile's TEMPLATE """…""" body and its one-line instructions. */
function readModelfile(file: string): { template: string; lines: string[] } {
  const text = fs.readFileSync(file, "utf8");
  const m = /^TEMPLATE """([\s\S]*?)"""$/m.exec(text);
  assert.ok(m, `no TEMPLATE in\n${text}`);
  return { template: m[1], lines: text.replace(m[0], "").split("\n").filter(Boolean) };
}

// The random demo base carries Llama 2's tokenizer and [INST] template: a small vocabulary, so exports are quick.
test("export ollama writes the GGUF, a separate GGUF LoRA and a Modelfile whose TEMPLATE renders the training prompt", async () => {
  const base = path.join(tmp, "base");
  writeDemoModel(base, 0);
  const adapter = randomAdapter(path.join(tmp, "adapter"), base);
  const out = path.join(tmp, "ollama");
  const r = await runCliInProcess("export", "ollama", "--model", base, "--adapter", adapter, "--separate-adapter", "--type", "f16", "--system", "Answer briefly.", "--out", out, "--name", "tiny-demo");
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(fs.readdirSync(out).sort(), ["Modelfile", "adapter.gguf", "model.gguf"]);
  assert.match(r.out, /next: ollama create tiny-demo -f .*ollama\/Modelfile/);
  const adapterGguf = GgufFile.open(path.join(out, "adapter.gguf"));
  assert.equal(adapterGguf.metadata.string("general.type"), "adapter");
  adapterGguf.close();
  const { template, lines } = readModelfile(path.join(out, "Modelfile"));
  assert.ok(lines.includes("FROM ./model.gguf") && lines.includes("ADAPTER ./adapter.gguf"), lines.join("\n"));
  assert.ok(lines.some((l) => /^SYSTEM .*Answer briefly\./.test(l)), lines.join("\n"));
  assert.ok(lines.includes('PARAMETER stop "</s>"'), lines.join("\n"));
  // Ollama adds BOS itself when the GGUF says so; the training template writes it in the text.
  const model = GgufFile.open(path.join(out, "model.gguf"));
  const addBos = model.metadata.optBool("tokenizer.ggml.add_bos_token") ?? false;
  model.close();
  const tok = loadTokenizer(base);
  const messages = [{ role: "user", content: "Extract the order as JSON.\nVera (Oslo) ordered seven drum." }];
  const jinja = tok.applyChatTemplate([{ role: "system", content: "Answer briefly." }, ...messages], { addGenerationPrompt: true });
  const [go] = renderWithGo(template, [{ messages, system: "Answer briefly." }]);
  assert.equal((addBos ? (tok.bosToken ?? "") : "") + go, jinja);

  const again = await runCliInProcess("export", "ollama", "--model", base, "--out", out);
  assert.match(again.out, /--out .* already exists/);
  const noAdapter = await runCliInProcess("export", "ollama", "--model", base, "--separate-adapter", "--out", path.join(tmp, "x"));
  assert.match(noAdapter.out, /--separate-adapter needs --adapter/);
  assert.ok(!fs.existsSync(path.join(tmp, "x")));
});
