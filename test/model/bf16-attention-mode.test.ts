import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AttentionOptions } from "../../src/tensor/index.js";
import { cpuBackend } from "../../src/tensor/index.js";
import type { ComputeDtype, ModelBackend } from "../../src/model/index.js";
import { forwardSequences, lossAndGradients, makeBatch, newKvCache, setComputeDtype } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import { microConfig, microModel } from "./helpers/micro-model.js";

// Where each attention op takes its options (after scale and window).
const OPTIONS_AT: Record<string, number> = { attention: 6, attentionBackward: 9, attentionDecode: 6 };

/** The cpu backend, recording the bf16 flag each attention op is called with. */
function recordingBackend(): { backend: ModelBackend; calls: Array<{ op: string; bf16: boolean }> } {
  const calls: Array<{ op: string; bf16: boolean }> = [];
  const backend = new Proxy(cpuBackend, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function" || typeof name !== "string" || !(name in OPTIONS_AT)) return value;
      return (...args: unknown[]) => {
        calls.push({ op: name, bf16: (args[OPTIONS_AT[name]] as AttentionOptions | undefined)?.bf16 === true });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}

describe("the bf16 compute mode reaches attention", () => {
  for (const dtype of ["f32", "bf16"] as ComputeDtype[]) {
    it(`computeDtype ${dtype}: forward, backward and decode get bf16 = ${dtype === "bf16"}`, () => {
      const { backend, calls } = recordingBackend();
      const model = microModel(microConfig("llama"), backend, 3, "f32");
      setComputeDtype(model, dtype);
      attachAdapter(model, buildLoraAdapter(model, loraConfig({ r: 2, targetModules: "all-linear" })));
      lossAndGradients(model, makeBatch([{ inputIds: [1, 2, 3, 4, 5] }]));
      const cache = newKvCache(model, 16);
      forwardSequences(model, [{ cache, ids: [1, 2, 3], adapters: new Map(), logits: true }]);
      const ops = new Set(calls.map((c) => c.op));
      assert.deepEqual([...ops].sort(), ["attention", "attentionBackward", "attentionDecode"]);
      for (const c of calls) assert.equal(c.bf16, dtype === "bf16", `${c.op}`);
    });
  }
});
