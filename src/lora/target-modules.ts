import { ConfigError } from "../util/errors.js";
import type { LoraConfig } from "./config.js";

/** PEFT's rule: a list entry matches a path it equals or ends with `.<entry>`; a string is a full-match regex. */
export function matchesModules(path: string, modules: string[] | string): boolean {
  if (typeof modules === "string") return fullMatch(modules).test(path);
  return modules.some((name) => path === name || path.endsWith(`.${name}`));
}

/** Whether `targetModules` is PEFT's `"all-linear"` (compared case-insensitively, as PEFT does). */
export function isAllLinear(modules: string[] | string): boolean {
  return typeof modules === "string" && modules.toLowerCase() === "all-linear";
}

function fullMatch(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch (err) {
    throw new ConfigError(`LoRA target_modules regex ${JSON.stringify(pattern)} is invalid: ${(err as Error).message}`);
  }
}

/**
 * The module paths a config targets among the model's linear layers (`lm_head` included in `linearPaths` so a
 * config naming it explicitly is refused rather than ignored). Errors when nothing matches, as PEFT does.
 */
export function selectTargets(config: Pick<LoraConfig, "targetModules" | "excludeModules">, linearPaths: readonly string[]): string[] {
  const selected = linearPaths.filter((path) => {
    if (isAllLinear(config.targetModules)) {
      if (path === "lm_head") return false;
    } else if (!matchesModules(path, config.targetModules)) {
      return false;
    }
    return !(config.excludeModules !== null && matchesModules(path, config.excludeModules));
  });
  if (selected.includes("lm_head")) {
    throw new ConfigError("LoRA on lm_head is not supported (target_modules matches lm_head)", {
      hint: "target the decoder's projections (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)",
    });
  }
  if (selected.length === 0) {
    throw new ConfigError(`LoRA target_modules ${JSON.stringify(config.targetModules)} matches no linear layer of the model`, {
      hint: "module paths look like model.layers.0.self_attn.q_proj",
    });
  }
  return selected;
}
