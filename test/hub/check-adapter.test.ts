import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { Finding } from "../../src/hub/index.js";
import { checkAdapter } from "../../src/hub/index.js";
import { modelConfigToJson, presetConfig } from "../../src/model/index.js";
import { runCliInProcess } from "../helpers/cli.js";

// Each rule of the preflight against adapters built to break it (docs/hub.md cites the runtime source of each).
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-check-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A base folder with only config.json (all a preflight reads): the tiny preset, H 256, F 688, q 256, kv 128. */
function base(name: string, change: Record<string, unknown> = {}, arch?: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...modelConfigToJson(presetConfig("tiny", arch)), ...change }));
  return dir;
}
const LLAMA = base("llama");
const TIED = base("tied", { tie_word_embeddings: true });

type TensorSpec = [name: string, shape: number[], dtype?: string];
const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/** Writes a safetensors file by the format's definition (u64 header length, JSON header, zero data). */
function writeSafetensors(file: string, tensors: TensorSpec[]): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const [name, shape, dtype = "F32"] of tensors) {
    const size = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, Buffer.alloc(offset)]));
}

const pair = (module: string, r: number, out: number, inp: number, dtype?: string): TensorSpec[] => [
  [`base_model.model.model.layers.0.${module}.lora_A.weight`, [r, inp], dtype],
  [`base_model.model.model.layers.0.${module}.lora_B.weight`, [out, r], dtype],
];

let n = 0;
function adapter(config: Record<string, unknown>, tensors?: TensorSpec[]): string {
  const dir = path.join(tmp, `adapter-${n++}`);
  fs.mkdirSync(dir);
  const r = (config.r as number | undefined) ?? 8;
  fs.writeFileSync(
    path.join(dir, "adapter_config.json"),
    JSON.stringify({ peft_type: "LORA", task_type: "CAUSAL_LM", base_model_name_or_path: "HuggingFaceTB/SmolLM2-135M-Instruct", r, lora_alpha: 16, target_modules: ["q_proj", "v_proj"], ...config }),
  );
  writeSafetensors(path.join(dir, "adapter_model.safetensors"), tensors ?? [...pair("self_attn.q_proj", r, 256, 256), ...pair("self_attn.v_proj", r, 128, 256)]);
  return dir;
}

function rules(findings: Finding[], runtime?: string): string[] {
  return findings.filter((f) => !runtime || f.runtime === runtime).map((f) => `${f.severity}:${f.rule}`);
}

describe("check-adapter: a plain LoRA adapter", () => {
  it("q/v pairs, r 8, integer alpha, F32, Hub-id base: nothing to report anywhere", () => {
    const check = checkAdapter(adapter({}), { baseDir: LLAMA });
    assert.deepEqual(check.findings, []);
    assert.match(check.base, /LlamaForCausalLM/);
  });

  it("missing files: no adapter_config.json / no weights; only a pickle .bin fails Ollama alone", () => {
    const empty = path.join(tmp, "empty");
    fs.mkdirSync(empty);
    const check = checkAdapter(empty);
    for (const runtime of ["peft", "vllm", "ollama", "llama.cpp"]) assert.deepEqual(rules(check.findings, runtime), ["error:missing-config", "error:missing-weights"]);
    const pickle = adapter({});
    fs.renameSync(path.join(pickle, "adapter_model.safetensors"), path.join(pickle, "adapter_model.bin"));
    assert.deepEqual(rules(checkAdapter(pickle).findings), ["error:missing-weights"]);
    assert.equal(checkAdapter(pickle).findings[0].runtime, "ollama");
  });
});

describe("check-adapter: vLLM", () => {
  it("a rank above the default max_lora_rank 16 names the smallest --max-lora-rank that fits", () => {
    for (const [r, flag] of [[17, "32"], [64, "64"], [300, "320"]] as const) {
      const f = checkAdapter(adapter({ r }), { runtimes: ["vllm"] }).findings;
      assert.deepEqual(rules(f), ["error:vllm-max-lora-rank"], `r ${r}`);
      assert.equal(f[0].fix, `start vLLM with --max-lora-rank ${flag}`);
    }
    assert.match(checkAdapter(adapter({ r: 600 }), { runtimes: ["vllm"] }).findings[0].fix!, /largest --max-lora-rank is 512/);
    assert.deepEqual(checkAdapter(adapter({ r: 16 }), { runtimes: ["vllm"] }).findings, []);
  });

  it("modules_to_save, DoRA and bias are refused; rank/alpha patterns are dropped (warning); rsLoRA is fine", () => {
    const check = (config: Record<string, unknown>) => rules(checkAdapter(adapter(config), { runtimes: ["vllm"] }).findings);
    assert.deepEqual(check({ modules_to_save: ["lm_head"] }), ["error:vllm-modules-to-save"]);
    assert.deepEqual(check({ use_dora: true }), ["error:vllm-dora"]);
    assert.deepEqual(check({ bias: "lora_only" }), ["error:vllm-bias"]);
    assert.deepEqual(check({ alpha_pattern: { v_proj: 32 } }), ["warning:vllm-patterns-ignored"]);
    assert.deepEqual(check({ use_rslora: true }), []);
  });

  it("LoRA on a module vLLM does not adapt, and an embedding LoRA over another vocabulary, are refused", () => {
    const odd = adapter({}, [...pair("self_attn.q_proj", 8, 256, 256), ...pair("self_attn.rotary_emb", 8, 32, 32)]);
    const f = checkAdapter(odd, { runtimes: ["vllm"], baseDir: LLAMA }).findings;
    assert.deepEqual(rules(f), ["error:vllm-unexpected-modules"]);
    assert.match(f[0].message, /LoRA on rotary_emb/);
    const embedding = (vocab: number) =>
      adapter({}, [...pair("self_attn.q_proj", 8, 256, 256), ["base_model.model.model.embed_tokens.lora_embedding_A", [8, vocab]], ["base_model.model.model.embed_tokens.lora_embedding_B", [256, 8]]]);
    assert.deepEqual(rules(checkAdapter(embedding(32016), { runtimes: ["vllm"], baseDir: LLAMA }).findings), ["error:vllm-embedding-vocab"]);
    assert.deepEqual(rules(checkAdapter(embedding(32000), { runtimes: ["vllm"], baseDir: LLAMA }).findings), []);
  });
});

describe("check-adapter: llama.cpp (convert_lora_to_gguf.py, then --lora)", () => {
  it("whole embed/lm_head modules, DoRA magnitudes and bias tensors stop the converter", () => {
    const lmHead = adapter({ modules_to_save: ["lm_head"] }, [...pair("self_attn.q_proj", 8, 256, 256), ["base_model.model.lm_head.weight", [32000, 256]]]);
    assert.ok(rules(checkAdapter(lmHead, { runtimes: ["llama.cpp"] }).findings).includes("error:llamacpp-modules-to-save"));
    const dora = adapter({ use_dora: true }, [...pair("self_attn.q_proj", 8, 256, 256), ["base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", [256]]]);
    assert.deepEqual(rules(checkAdapter(dora, { runtimes: ["llama.cpp"] }).findings), ["error:llamacpp-dora"]);
    const bias = adapter({ bias: "all" }, [...pair("self_attn.q_proj", 8, 256, 256), ["base_model.model.model.layers.0.self_attn.q_proj.bias", [256]]]);
    assert.deepEqual(rules(checkAdapter(bias, { runtimes: ["llama.cpp"] }).findings), ["error:llamacpp-bias"]);
  });

  it("LoRA on lm_head is refused only when the base ties its embeddings", () => {
    const dir = adapter({ target_modules: ["q_proj", "lm_head"] }, [...pair("self_attn.q_proj", 8, 256, 256), ["base_model.model.lm_head.lora_A.weight", [8, 256]], ["base_model.model.lm_head.lora_B.weight", [32000, 8]]]);
    assert.deepEqual(rules(checkAdapter(dir, { runtimes: ["llama.cpp"], baseDir: TIED }).findings), ["error:llamacpp-tied-lm-head"]);
    assert.deepEqual(rules(checkAdapter(dir, { runtimes: ["llama.cpp"], baseDir: LLAMA }).findings), []);
  });

  it("rsLoRA: warns that llama.cpp scales by alpha/r, with the --lora-scaled factor √r that restores alpha/√r", () => {
    const f = checkAdapter(adapter({ r: 16, lora_alpha: 32, use_rslora: true }, [...pair("self_attn.q_proj", 16, 256, 256)]), { runtimes: ["llama.cpp"] }).findings;
    assert.deepEqual(rules(f), ["warning:llamacpp-rslora-ignored"]);
    assert.match(f[0].message, /alpha \/ r = 2\.000 instead of alpha \/ √r = 8\.000/);
    assert.match(f[0].fix!, /--lora-scaled FILE:4\.000.*lora_alpha to 128\.000/);
    assert.deepEqual(rules(checkAdapter(adapter({ alpha_pattern: { q_proj: 4 } }), { runtimes: ["llama.cpp"] }).findings), ["warning:llamacpp-alpha-pattern-ignored"]);
  });

  it("a base named by a local path: the converter needs --base", () => {
    const f = checkAdapter(adapter({ base_model_name_or_path: "/home/me/models/base" }), { runtimes: ["llama.cpp", "peft"] }).findings;
    assert.deepEqual(rules(f), ["warning:base-not-hub-id", "warning:base-not-hub-id"]);
    assert.match(f.find((x) => x.runtime === "llama.cpp")!.fix!, /--base DIR/);
  });
});

describe("check-adapter: Ollama (ADAPTER folder in a Modelfile)", () => {
  it("only llama and gemma2 bases (Mistral converts to llama); Qwen2 needs a GGUF adapter", () => {
    assert.deepEqual(rules(checkAdapter(adapter({}), { runtimes: ["ollama"], baseDir: base("qwen2", {}, "qwen2") }).findings), ["error:ollama-architecture"]);
    assert.deepEqual(rules(checkAdapter(adapter({}), { runtimes: ["ollama"], baseDir: base("mistral", {}, "mistral") }).findings), []);
  });

  it("a fractional lora_alpha, an unmapped tensor, a dtype other than F32/F16/BF16, rsLoRA", () => {
    const check = (config: Record<string, unknown>, tensors?: TensorSpec[]) => rules(checkAdapter(adapter(config, tensors), { runtimes: ["ollama"] }).findings);
    assert.deepEqual(check({ lora_alpha: 16.5 }), ["error:ollama-alpha"]);
    assert.deepEqual(check({}, [...pair("self_attn.q_proj", 8, 256, 256), ["base_model.model.model.embed_tokens.lora_embedding_A", [8, 32000]], ["base_model.model.model.embed_tokens.lora_embedding_B", [256, 8]]]), ["error:ollama-unmapped-tensors"]);
    assert.deepEqual(check({}, pair("self_attn.q_proj", 8, 256, 256, "F64")), ["error:ollama-dtype"]);
    assert.deepEqual(check({}, pair("self_attn.q_proj", 8, 256, 256, "BF16")), []);
    assert.deepEqual(check({ use_rslora: true, r: 16 }, pair("self_attn.q_proj", 16, 256, 256)), ["warning:ollama-rslora-ignored"]);
  });
});

describe("check-adapter: base mismatch and the CLI", () => {
  it("pairs that do not fit the base's layers are an error for every runtime", () => {
    const wrong = adapter({}, pair("self_attn.q_proj", 8, 512, 512));
    const f = checkAdapter(wrong, { baseDir: LLAMA }).findings;
    assert.deepEqual(rules(f), Array(4).fill("error:base-mismatch"));
    assert.match(f[0].message, /lora_A\.weight \[8,512\] does not fit the base layer \[256,256\]/);
  });

  it("`loraforge check-adapter DIR --for vllm` prints the verdict and the fix, and exits 1 on an error", async () => {
    const r = await runCliInProcess("check-adapter", adapter({ r: 64 }), "--for", "vllm", "--base-model", LLAMA);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /vllm: WILL NOT LOAD\n {2}error \[vllm-max-lora-rank\] rank r = 64/);
    assert.match(r.out, /fix: start vLLM with --max-lora-rank 64/);
    const ok = await runCliInProcess("check-adapter", adapter({}), "--base-model", LLAMA);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /peft: ok\nvllm: ok\nollama: ok\nllama\.cpp: ok/);
  });
});
