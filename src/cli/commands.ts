import type { Command } from "commander";
import { registerData } from "./data.js";
import { registerDemo } from "./demo.js";
import { registerDoctor } from "./doctor.js";
import { registerEstimate } from "./estimate.js";
import { registerGenerate } from "./generate.js";
import { registerImport } from "./import.js";
import { registerInitModel } from "./init-model.js";
import { registerEval } from "./eval.js";
import { registerExport } from "./export.js";
import { registerMerge } from "./merge.js";
import { registerTrain } from "./train.js";

/** Every CLI command, one register function per file. */
export const COMMANDS: Array<(program: Command) => void> = [registerDoctor, registerData, registerInitModel, registerImport, registerGenerate, registerTrain, registerEval, registerEstimate, registerDemo, registerMerge, registerExport];
