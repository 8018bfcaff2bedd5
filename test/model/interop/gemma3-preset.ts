// Driven by interop/steps/21_gemma3_preset.py: `node --import tsx test/model/interop/gemma3-preset.ts DIR` writes
// DIR/model (init-model's gemma3-270m preset, norm weights randomized in [−0.5, 0.5]), DIR/ids.json (600 random
// tokens, longer than the 512-token window), DIR/hidden.f32 (our final hidden states, f32) and prints our loss.
import fs from "node:fs";
import path from "node:path";
import { computeLoss, loadModel, makeBatch, planInitModel, writeInitModel } from "../../../src/model/index.js";
import { decoderForward } from "../../../src/model/decoder.js";
import { Tensor } from "../../../src/tensor/index.js";
import { Rng } from "../../../src/util/rng.js";
import { randomizeNorms } from "./case.js";

const GEMMA3_PRESET_CASE = { preset: "gemma3-270m", tokens: 600, seed: 0 } as const;

const out = process.argv[2];
const dir = path.join(out, "model");
writeInitModel(dir, planInitModel({ preset: GEMMA3_PRESET_CASE.preset, seed: GEMMA3_PRESET_CASE.seed }), { overwrite: true });
randomizeNorms(dir, 9);
const rng = new Rng(10);

const n = GEMMA3_PRESET_CASE.tokens;
const ids = Array.from({ length: n }, () => rng.int(262144));
fs.writeFileSync(path.join(out, "ids.json"), JSON.stringify(ids));
const model = loadModel(dir);
const loss = computeLoss(model, makeBatch([{ inputIds: ids }])).loss;
const i32 = (xs: number[]) => new Tensor("i32", [n], Int32Array.from(xs));
const layout = { positions: i32(ids.map((_, i) => i)), segmentIds: i32(ids.map(() => 0)) };
const { hidden } = decoderForward(model, i32(ids), layout, { training: false, dropoutSeed: 0 }, "nothing");
fs.writeFileSync(path.join(out, "hidden.f32"), new Uint8Array((hidden.data as Float32Array).buffer));
console.log(JSON.stringify({ loss }));
