import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { DriftReport } from "../../src/export/index.js";
import { attachAdapter, loadAdapter } from "../../src/lora/index.js";
import { loadModel } from "../../src/model/index.js";
import { readPreparedFile } from "../../src/data/index.js";
import { evaluateLoss } from "../../src/train/index.js";
import { runCliInProcess as cli } from "../helpers/cli.js";
import { preparedData } from "../train/helpers.js";
import { modelFolder, randomAdapter } from "./fixtures.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-drift-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const RECORDS = 6;
/** The f32 export's drift, which the q4_0 export's must exceed. */
let f32Kl = Infinity;

describe("export gguf --report: drift adapter-on-base → merged → GGUF on validation data", () => {
  const base = () => modelFolder(path.join(tmp, "llama"), { arch: "llama", tieWordEmbeddings: true });
  const adapter = () => randomAdapter(path.join(tmp, "adapter"), base(), { r: 8, alpha: 16 });
  const data = () => preparedData(tmp, { train: 2, val: RECORDS, seed: 3 });

  async function run(type: string, engine: string): Promise<{ report: DriftReport; printed: string; gguf: string }> {
    const gguf = path.join(tmp, `${type}.gguf`);
    const json = path.join(tmp, `${type}.drift.json`);
    const { code, out } = await cli("export", "gguf", "--model", base(), "--adapter", adapter(), "--out", gguf, "--type", type, "--report", data(), "--report-records", String(RECORDS), "--report-engine", engine, "--report-threads", "1", "--report-json", json);
    assert.equal(code, 0, out);
    return { report: JSON.parse(fs.readFileSync(json, "utf8")) as DriftReport, printed: out, gguf };
  }

  it("f32 through llama.cpp: the GGUF stays next to adapter-on-base; the reference loss is evaluateLoss's", async () => {
    const { report, printed } = await run("f32", "auto");
    assert.equal(report.ggufEngine, "llama.cpp");
    assert.match(printed, /the GGUF ran on llama\.cpp \(node-llama-cpp\)/);
    assert.equal(report.records, RECORDS);
    assert.deepEqual(report.stages.map((s) => s.stage), ["adapter on base", "merged bf16", "GGUF f32.gguf (llama.cpp)"]);
    const records = await readPreparedFile(path.join(data(), "val.jsonl"), 32000);
    const model = loadModel(base());
    attachAdapter(model, loadAdapter(model, adapter()));
    const expected = evaluateLoss(model, records).loss;
    assert.ok(Math.abs(report.stages[0].loss - expected) <= 1e-5 * expected, `${report.stages[0].loss} vs evaluateLoss ${expected}`);
    const [, merged, gguf] = report.stages;
    // llama.cpp runs the f32 weights with an f16 KV cache (its default): tiny, nonzero drift.
    assert.ok(gguf.meanKl! < 1e-3 && gguf.top1! >= 0.95, JSON.stringify(gguf));
    assert.ok(merged.meanKl! > 0 && merged.meanKl! < 1e-2 && merged.top1! >= 0.9, JSON.stringify(merged));
    assert.equal(report.generations.length, 3);
    for (const g of report.generations) assert.equal(g.outputs.length, 3);
    assert.match(printed, /\| stage \| val loss \| top-1 vs adapter \| mean KL vs adapter \|/);
    f32Kl = gguf.meanKl!;
  });

  it("q4_0 on our own forward (--report-engine loraforge): says so; its loss is evaluateLoss of the dequantized GGUF; drifts more than f32", async () => {
    const { report, printed, gguf } = await run("q4_0", "loraforge");
    assert.equal(report.ggufEngine, "loraforge");
    assert.match(printed, /loraforge's own forward on its dequantized weights/);
    const records = await readPreparedFile(path.join(data(), "val.jsonl"), 32000);
    const expected = evaluateLoss(loadModel(gguf), records).loss;
    assert.ok(Math.abs(report.stages[2].loss - expected) <= 1e-5 * expected, `${report.stages[2].loss} vs ${expected}`);
    assert.ok(report.stages[2].meanKl! > f32Kl, `q4_0 KL ${report.stages[2].meanKl} vs f32 ${f32Kl}`);
  });

  it("--report needs --adapter", async () => {
    const { code, out } = await cli("export", "gguf", "--model", base(), "--out", path.join(tmp, "n.gguf"), "--report", data());
    assert.equal(code, 1);
    assert.match(out, /--report compares adapter-on-base with the export: it needs --adapter/);
  });
});
