import { ConfigError } from "../util/errors.js";
import type { Quant4Type } from "./codebooks.js";

/** How frozen linear weights are quantized: the names accepted by `quantization:` and `--quantization`. */
export const QUANTIZATION_NAMES = ["nf4", "nf4-no-double-quant", "fp4", "fp4-no-double-quant"] as const;
export type QuantizationName = (typeof QUANTIZATION_NAMES)[number];

export interface QuantScheme {
  type: Quant4Type;
  /** Quantize the absmax values again (8-bit dynamic code, blocks of 256, mean offset). */
  doubleQuant: boolean;
  /** Elements per absmax block over the flattened [out, in] tensor (bitsandbytes default 64). */
  blocksize: number;
}

const BLOCKSIZES = [32, 64, 128, 256, 512, 1024, 2048, 4096];

export function quantScheme(name: string, blocksize = 64): QuantScheme {
  if (!(QUANTIZATION_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown quantization '${name}': expected one of ${QUANTIZATION_NAMES.join(", ")}`);
  }
  if (!BLOCKSIZES.includes(blocksize)) throw new ConfigError(`quantization block size ${blocksize} is not one of ${BLOCKSIZES.join(", ")}`);
  return { type: name.startsWith("nf4") ? "nf4" : "fp4", doubleQuant: !name.endsWith("-no-double-quant"), blocksize };
}
