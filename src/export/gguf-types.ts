import type { GgmlTypeInfo, GgmlTypeName } from "../quant/index.js";
import { ggmlTypeByName } from "../quant/index.js";
import { ConfigError } from "../util/errors.js";
import { nearest } from "../util/suggest.js";

/**
 * `--type` → the ggml type of each tensor, as llama.cpp's converter (f32, f16, bf16, q8_0) or llama-quantize
 * (q4_0, q4_1, q4_k_m, q5_k_m, q6_k) choose it (docs/formats/gguf.md, "What llama.cpp puts in each tensor"):
 * norms, biases and other 1-D tensors stay F32; the output matrix (or the token embedding when tied) gets Q6_K
 * under llama-quantize; Q4_K_M / Q5_K_M give attn_v and ffn_down Q6_K on use_more_bits layers; a row that is
 * not whole blocks falls back (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, then F16).
 */
export const EXPORT_TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q4_k_m", "q5_k_m", "q6_k"] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

interface Recipe {
  fileType: number;
  base: GgmlTypeName;
  /** llama-quantize (true) or the converter (false). */
  quantize: boolean;
  /** attn_v / ffn_down on use_more_bits layers. */
  moreBits?: GgmlTypeName;
}

const RECIPES: Record<ExportType, Recipe> = {
  f32: { fileType: 0, base: "F32", quantize: false },
  f16: { fileType: 1, base: "F16", quantize: false },
  bf16: { fileType: 32, base: "BF16", quantize: false },
  q8_0: { fileType: 7, base: "Q8_0", quantize: false },
  q4_0: { fileType: 2, base: "Q4_0", quantize: true },
  q4_1: { fileType: 3, base: "Q4_1", quantize: true },
  q4_k_m: { fileType: 15, base: "Q4_K", quantize: true, moreBits: "Q6_K" },
  q5_k_m: { fileType: 17, base: "Q5_K", quantize: true, moreBits: "Q6_K" },
  q6_k: { fileType: 18, base: "Q6_K", quantize: true },
};

const FALLBACK: Partial<Record<GgmlTypeName, GgmlTypeName>> = { Q4_K: "Q5_0", Q5_K: "Q5_1", Q6_K: "Q8_0" };

export function parseExportType(value: string): ExportType {
  const v = value.toLowerCase();
  if ((EXPORT_TYPES as readonly string[]).includes(v)) return v as ExportType;
  const near = EXPORT_TYPES.find((t) => t.startsWith(v)) ?? nearest(v, EXPORT_TYPES);
  throw new ConfigError(`--type ${value} is not supported; expected one of ${EXPORT_TYPES.join(", ")}`, near ? { hint: `did you mean ${near}?` } : {});
}

/** `general.file_type` (LlamaFileType) of an export type. */
export function ggufFileType(type: ExportType): number {
  return RECIPES[type].fileType;
}

/** llama.cpp's use_more_bits(i, n): the first and last eighth of the layers and every third one between. */
export function useMoreBits(i: number, n: number): boolean {
  const eighth = Math.floor(n / 8);
  return i < eighth || i >= Math.floor((7 * n) / 8) || (i - eighth) % 3 === 2;
}

/**
 * Chooses each tensor's type. `tensors` are GGUF names with ne, in the order they will be written (which is
 * llama-quantize's: non-block tensors first, then by block) — attn_v and ffn_down are counted in that order.
 */
export function planTensorTypes(type: ExportType, tensors: ReadonlyArray<{ name: string; ne: readonly number[] }>, nLayers: number): Map<string, GgmlTypeInfo> {
  const recipe = RECIPES[type];
  const tied = !tensors.some((t) => t.name === "output.weight");
  const nAttnV = tensors.filter((t) => /\.attn_v\.weight$/.test(t.name)).length;
  let iAttnV = 0;
  let iFfnDown = 0;
  const out = new Map<string, GgmlTypeInfo>();
  for (const t of tensors) {
    const quantizable = t.ne.length >= 2 && t.name.endsWith(".weight") && !t.name.includes("_norm.weight");
    if (!quantizable) {
      out.set(t.name, ggmlTypeByName("F32"));
      continue;
    }
    let chosen: GgmlTypeName = recipe.base;
    const isOutput = t.name === "output.weight" || (tied && t.name === "token_embd.weight");
    if (recipe.quantize && isOutput) {
      chosen = t.ne[0] % ggmlTypeByName(recipe.base).blockSize !== 0 ? "Q8_0" : "Q6_K";
    } else if (recipe.moreBits && /\.attn_v\.weight$/.test(t.name)) {
      if (useMoreBits(iAttnV, nAttnV)) chosen = recipe.moreBits;
    } else if (recipe.moreBits && /\.ffn_down\.weight$/.test(t.name)) {
      if (useMoreBits(iFfnDown, nLayers)) chosen = recipe.moreBits;
    }
    if (/\.attn_v\.weight$/.test(t.name)) iAttnV++;
    if (/\.ffn_down\.weight$/.test(t.name)) iFfnDown++;
    out.set(t.name, ggmlTypeByName(fallback(chosen, t.ne[0])));
  }
  return out;
}

function fallback(type: GgmlTypeName, rowLength: number): GgmlTypeName {
  if (rowLength % ggmlTypeByName(type).blockSize === 0) return type;
  const next = FALLBACK[type];
  if (next && rowLength % ggmlTypeByName(next).blockSize === 0) return next;
  return "F16";
}
