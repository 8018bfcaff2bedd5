// Driven by interop/steps/20_model_peft.py and 22_bf16_autocast.py: `init ARCH DIR` makes the case's model folder;
// `run DIR OUT.json [PEFT_ADAPTER_DIR] OURS_ADAPTER_DIR` writes our logits, loss and gradients and saves our seeded
// adapter; `adapter DIR OURS_ADAPTER_DIR` only saves the seeded adapter.
import fs from "node:fs";
import type { Tensor } from "../../../src/tensor/index.js";
import { saveAdapter } from "../../../src/lora/index.js";
import { greedyWith, loadAdapter, loadModel, logitsWith, lossAndGrads, makeFolder, oursAdapter } from "./case.js";

const list = (t: Tensor) => Array.from(t.data as Float32Array);

const [command, ...args] = process.argv.slice(2);
if (command === "init") {
  makeFolder(args[0], args[1]);
} else if (command === "run") {
  const [dir, out, peftDir, oursDir] = args;
  const model = loadModel(dir);
  const ours = oursAdapter(model);
  saveAdapter(ours, oursDir, { baseModelNameOrPath: dir });
  const theirs = loadAdapter(model, peftDir);
  const oursGrads = lossAndGrads(model, ours);
  const theirsGrads = lossAndGrads(model, theirs);
  const grads = (g: typeof oursGrads) => Object.fromEntries([...g.grads].map(([p, { A, B }]) => [p, { A: list(A), B: list(B) }]));
  const result = {
    base_logits: list(logitsWith(model)),
    ours_logits: list(logitsWith(model, ours)),
    ours_loss: oursGrads.loss,
    ours_grads: grads(oursGrads),
    peft_logits: list(logitsWith(model, theirs)),
    peft_loss: theirsGrads.loss,
    peft_grads: grads(theirsGrads),
    greedy: greedyWith(model, ours),
  };
  fs.writeFileSync(out, JSON.stringify(result));
} else if (command === "adapter") {
  const [dir, oursDir] = args;
  saveAdapter(oursAdapter(loadModel(dir)), oursDir, { baseModelNameOrPath: dir });
} else {
  throw new Error(`driver: unknown command ${command}`);
}
