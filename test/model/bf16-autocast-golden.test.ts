import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { withSafetensors } from "../../src/formats/index.js";
import { setComputeDtype } from "../../src/model/index.js";
import { loadModel, lossAndGrads, oursAdapter, relError, tempFolder } from "./interop/case.js";

// Re-checks what interop/steps/22_bf16_autocast.py recorded: PEFT's loss and LoRA gradients on the llama interop
// case under torch.autocast("cpu", bfloat16), and torch's own autocast-vs-float32 distance (the size of bf16 noise
// on this case). Autocast rounds every linear layer's operands and outputs to bf16, our bf16 mode the frozen
// products' operands, so the two steps are not equal; what must hold is that our bf16 step lands near autocast's
// within 1.5× that noise (a wrong rounding of a whole tensor, or a mode that scrambled values, is O(1) off), and
// that our mode moves the step by less than autocast moves torch's (it rounds fewer values) but not by nothing.
// Measured: ours bf16 vs autocast 5.2e-2, autocast vs torch float32 4.8e-2 (the noise), ours bf16 vs ours float32
// 6.7e-3; losses 5.64214 (ours bf16), 5.64276 (autocast), 5.64197 (torch float32).

interface Golden {
  float32_loss: number;
  autocast_loss: number;
  autocast_vs_float32_grads: number;
}

const GOLDEN = path.join("test", "golden", "bf16_autocast_llama.json");
const BF16_NOISE_FACTOR = 1.5;

function step(dir: string, dtype: "f32" | "bf16"): { loss: number; grads: Map<string, Float32Array> } {
  const model = loadModel(dir);
  setComputeDtype(model, dtype);
  const { loss, grads } = lossAndGrads(model, oursAdapter(model));
  const flat = new Map<string, Float32Array>();
  for (const [p, g] of grads) for (const f of ["A", "B"] as const) flat.set(`${p}.${f}`, Float32Array.from(g[f].data as Float32Array));
  return { loss, grads: flat };
}

describe("bf16 compute mode vs torch autocast (golden from PEFT)", () => {
  it("one step's loss and LoRA gradients land within torch's own bf16 noise of autocast's, and move less than autocast does", () => {
    assert.ok(fs.existsSync(GOLDEN), `${GOLDEN} is missing: run npm run test:interop`);
    const golden = JSON.parse(fs.readFileSync(GOLDEN, "utf8")) as Golden;
    const dir = tempFolder("llama");
    try {
      const bf16 = step(dir, "bf16");
      const f32 = step(dir, "f32");
      withSafetensors(path.join("test", "golden", "bf16_autocast_llama_grads.safetensors"), (reader) => {
        const names = [...bf16.grads.keys()].sort();
        assert.deepEqual(reader.names().sort(), names);
        const ref = names.flatMap((n) => Array.from(reader.read(n).data as Float32Array));
        const ours = (g: Map<string, Float32Array>) => names.flatMap((n) => Array.from(g.get(n)!));
        const noise = golden.autocast_vs_float32_grads;
        const fromAutocast = relError(ours(bf16.grads), ref);
        assert.ok(fromAutocast <= BF16_NOISE_FACTOR * noise, `bf16 step ${fromAutocast.toExponential(2)} from autocast's; torch's own bf16 noise ${noise.toExponential(2)}`);
        const modeShift = relError(ours(bf16.grads), ours(f32.grads));
        assert.ok(modeShift > 1e-4 && modeShift < noise, `our bf16 mode moves the gradients by ${modeShift.toExponential(2)}, autocast torch's by ${noise.toExponential(2)}`);
      });
      const lossNoise = Math.abs(golden.autocast_loss - golden.float32_loss);
      assert.ok(Math.abs(bf16.loss - golden.autocast_loss) <= BF16_NOISE_FACTOR * lossNoise, `loss ${bf16.loss} vs autocast ${golden.autocast_loss}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
