import type { Command } from "commander";
import { registerDataCheck } from "./data-check.js";
import { registerDataInspect } from "./data-inspect.js";
import { registerDataPrepare } from "./data-prepare.js";

/** `loraforge data check|prepare|inspect`. */
export function registerData(program: Command): void {
  const data = program.command("data").description("check, prepare and inspect fine-tuning data");
  registerDataCheck(data);
  registerDataPrepare(data);
  registerDataInspect(data);
}
