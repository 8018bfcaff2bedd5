import type { RopeConfig } from "../kernel-ops.js";
import { checkRope } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data } from "./common.js";

function rotate(op: string, x: Tensor, positions: Tensor, config: RopeConfig, sign: 1 | -1): Tensor {
  const s = checkRope(op, x, positions, config);
  f32(op, { x });
  const out = Tensor.zeros(x.shape);
  if (out.numel === 0) return out;
  const l3 = config.llama3;
  const llama3: [number, number, number, number] | null = l3 ? [l3.factor, l3.lowFreqFactor, l3.highFreqFactor, l3.originalMaxPositionEmbeddings] : null;
  nativeAddon().rope(f32Data(x), positions.data as Int32Array, s.tokens, s.heads, s.headDim, s.rotary, config.theta, llama3, sign, f32Data(out));
  return out;
}

export function cpuRope(x: Tensor, positions: Tensor, config: RopeConfig): Tensor {
  return rotate("rope", x, positions, config, 1);
}

export function cpuRopeBackward(dy: Tensor, positions: Tensor, config: RopeConfig): Tensor {
  return rotate("ropeBackward", dy, positions, config, -1);
}
