import YAML from "yaml";
import { ConfigError } from "../../util/errors.js";
import type { TrainConfig } from "../../train/index.js";
import type { BatchPlan } from "./batch-plan.js";

export const STRATEGIES = ["ddp", "fsdp", "deepspeed-zero2", "deepspeed-zero3"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export function parseStrategy(name: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(name)) throw new ConfigError(`--strategy ${name}: expected one of ${STRATEGIES.join(", ")}`);
  return name as Strategy;
}

/** FSDP (accelerate's version-1 plugin keys): transformer-block wrapping, full sharding, as PEFT's FSDP guide runs it. */
function fsdpConfig(): Record<string, unknown> {
  return {
    fsdp_version: 1,
    fsdp_auto_wrap_policy: "TRANSFORMER_BASED_WRAP",
    fsdp_backward_prefetch: "BACKWARD_PRE",
    fsdp_cpu_ram_efficient_loading: true,
    fsdp_forward_prefetch: false,
    fsdp_offload_params: false,
    fsdp_sharding_strategy: "FULL_SHARD",
    // The adapter is gathered to one full state dict on save, so output/adapter is a plain PEFT folder.
    fsdp_state_dict_type: "FULL_STATE_DICT",
    fsdp_sync_module_states: true,
    fsdp_use_orig_params: false,
  };
}

/** DeepSpeed through accelerate's plugin; accumulation and clipping must equal the Trainer's or it refuses to start. */
function deepspeedConfig(stage: 2 | 3, config: TrainConfig, batch: BatchPlan): Record<string, unknown> {
  return {
    zero_stage: stage,
    gradient_accumulation_steps: batch.gradientAccumulation,
    gradient_clipping: config.max_grad_norm,
    offload_optimizer_device: "none",
    offload_param_device: "none",
    ...(stage === 3 ? { zero3_init_flag: true, zero3_save_16bit_model: true } : {}),
  };
}

/** accelerate_config.yaml for `accelerate launch --config_file`: one node's view; Slurm overrides machine_rank. */
export function accelerateConfig(strategy: Strategy, config: TrainConfig, batch: BatchPlan, nodes: number): string {
  const single = batch.processes === 1;
  const distributedType =
    strategy === "fsdp" ? "FSDP" : strategy.startsWith("deepspeed") ? "DEEPSPEED" : single ? "NO" : "MULTI_GPU";
  const doc: Record<string, unknown> = {
    compute_environment: "LOCAL_MACHINE",
    debug: false,
    distributed_type: distributedType,
    downcast_bf16: "no",
    ...(strategy === "fsdp" ? { fsdp_config: fsdpConfig() } : {}),
    ...(strategy === "deepspeed-zero2" ? { deepspeed_config: deepspeedConfig(2, config, batch) } : {}),
    ...(strategy === "deepspeed-zero3" ? { deepspeed_config: deepspeedConfig(3, config, batch) } : {}),
    gpu_ids: "all",
    machine_rank: 0,
    main_training_function: "main",
    // Must agree with train.py's SFTConfig(bf16=...), which follows the config's dtype.
    mixed_precision: config.dtype === "bf16" ? "bf16" : "no",
    num_machines: nodes,
    num_processes: batch.processes,
    rdzv_backend: "static",
    same_network: true,
    tpu_env: [],
    tpu_use_cluster: false,
    tpu_use_sudo: false,
    use_cpu: false,
  };
  // YAML 1.1, as PyYAML reads it: there a bare `no` is false, so the 1.1 writer quotes such strings.
  return YAML.stringify(doc, { version: "1.1" });
}
