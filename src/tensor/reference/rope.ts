import type { RopeConfig } from "../kernel-ops.js";
import { checkRope } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { toF64 } from "./convert.js";

/**
 * Inverse frequencies of rotate-half RoPE, with the llama3 scaling of Hugging Face's
 * `_compute_llama3_parameters`: long wavelengths divided by `factor`, short ones kept, the band between blended.
 */
export function ropeInverseFrequencies(config: RopeConfig): Float64Array {
  const half = config.headDim / 2;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const inv = 1 / config.theta ** ((2 * i) / config.headDim);
    out[i] = config.llama3 ? llama3Scale(inv, config.llama3) : inv;
  }
  return out;
}

function llama3Scale(inv: number, s: NonNullable<RopeConfig["llama3"]>): number {
  const wavelen = (2 * Math.PI) / inv;
  const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  if (wavelen < highFreqWavelen) return inv;
  if (wavelen > lowFreqWavelen) return inv / s.factor;
  const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (inv / s.factor) + smooth * inv;
}

/** Rotates each (x[i], x[i + half]) pair by ±angle; the inverse (sign −1) is the backward. */
function rotate(op: string, x: Tensor, positions: Tensor, config: RopeConfig, sign: 1 | -1): Tensor {
  const { tokens, heads, headDim, rotary } = checkRope(op, x, positions, config);
  const inv = ropeInverseFrequencies(config);
  const xv = toF64(x);
  const out = Float64Array.from(xv);
  const half = rotary / 2;
  for (let t = 0; t < tokens; t++) {
    const pos = positions.data[t];
    for (let i = 0; i < half; i++) {
      const c = Math.cos(pos * inv[i]);
      const s = sign * Math.sin(pos * inv[i]);
      for (let h = 0; h < heads; h++) {
        const base = (t * heads + h) * headDim;
        const a = xv[base + i];
        const b = xv[base + i + half];
        out[base + i] = a * c - b * s;
        out[base + i + half] = b * c + a * s;
      }
    }
  }
  return new Tensor("f64", x.shape, out);
}

export function referenceRope(x: Tensor, positions: Tensor, config: RopeConfig): Tensor {
  return rotate("rope", x, positions, config, 1);
}

export function referenceRopeBackward(dy: Tensor, positions: Tensor, config: RopeConfig): Tensor {
  return rotate("ropeBackward", dy, positions, config, -1);
}
