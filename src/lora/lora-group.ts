import { Tensor, releaseTensors } from "../tensor/index.js";
import type { AdapterCall, AdapterGroup, GroupBackward, ModelBackend } from "../model/index.js";
import { LoraLinear, noBackward } from "./lora-linear.js";

/**
 * LoRA modules of layers that read one input (a layer's q/k/v, or gate/up). Their A matrices are row blocks of one
 * stacked tensor [Σr, in], and so are their A gradients, so x·Aᵀ, dA and the modules' part of dx each run as one
 * GEMM for all of them instead of one per module; the B products stay per module. The shared products are kept
 * transposed, xaᵀ and dxaᵀ [Σr, T], so that each module's block is a contiguous range of rows.
 */
export class LoraGroup implements AdapterGroup {
  constructor(
    readonly members: readonly LoraLinear[],
    /** [Σr, in]: the members' A, one below the other. */
    private readonly a: Tensor,
    private readonly gradA: Tensor,
  ) {}

  forward(backend: ModelBackend, x: Tensor, ys: readonly Tensor[], call: AdapterCall): GroupBackward {
    // PEFT draws an independent dropout mask per module, so each module then multiplies its own x̃ by its A.
    if (call.training && this.members.some((m) => m.dropout > 0)) return this.eachAlone(backend, x, ys, call);
    const xaT = backend.gemm(this.a, x, { transB: true }); // [Σr, T]
    const blocks = rowBlocks(xaT, this.members);
    this.members.forEach((m, i) => backend.gemm(blocks[i], m.b, { transA: true, transB: true, alpha: m.scale, beta: 1, out: ys[i] }));
    if (call.backward === false) {
      releaseTensors(xaT);
      return noBackward;
    }
    return (dys, dx) => {
      const dxaT = Tensor.zeros(xaT.shape, xaT.dtype);
      const dBlocks = rowBlocks(dxaT, this.members);
      this.members.forEach((m, i) => {
        backend.gemm(dys[i], blocks[i], { transA: true, transB: true, alpha: m.scale, beta: 1, out: m.gradB }); // dB += s·dyᵀ·xa
        backend.gemm(m.b, dys[i], { transA: true, transB: true, alpha: m.scale, out: dBlocks[i] }); // dxaᵀ = s·Bᵀ·dyᵀ
      });
      backend.gemm(dxaT, x, { beta: 1, out: this.gradA }); // dA += dxaᵀ·x, every member's at once
      if (dx) backend.gemm(dxaT, this.a, { transA: true, beta: 1, out: dx }); // dx += dxa·A
      releaseTensors(xaT, dxaT);
    };
  }

  private eachAlone(backend: ModelBackend, x: Tensor, ys: readonly Tensor[], call: AdapterCall): GroupBackward {
    const backs = this.members.map((m, i) => m.forward(backend, x, ys[i], call));
    return (dys, dx) => backs.forEach((back, i) => back(dys[i], dx));
  }
}

/**
 * The modules (of layers reading one input, in model order) regrouped: the same B, values of A and gradients, but
 * A and its gradient copied into rows of one stacked tensor each, which the returned modules view.
 */
export function stackedModules(modules: readonly LoraLinear[]): LoraLinear[] {
  const a = stacked(modules.map((m) => m.a));
  const gradA = stacked(modules.map((m) => m.gradA));
  const aRows = rowBlocks(a, modules);
  const gradARows = rowBlocks(gradA, modules);
  const members = modules.map((m, i) => new LoraLinear(m.path, aRows[i], m.b, gradARows[i], m.gradB, m.scale, m.dropout, m.dropoutStream));
  const group = new LoraGroup(members, a, gradA);
  for (const m of members) m.group = group;
  return members;
}

/** Each module's block of rows of a [Σr, …] tensor (views). */
function rowBlocks(t: Tensor, modules: readonly LoraLinear[]): Tensor[] {
  let row = 0;
  return modules.map((m) => {
    const block = t.rows(row, m.r);
    row += m.r;
    return block;
  });
}

/** One tensor holding `parts` (2-D, of one dtype and width) one below the other. */
function stacked(parts: readonly Tensor[]): Tensor {
  const out = Tensor.zeros([parts.reduce((rows, t) => rows + t.shape[0], 0), parts[0].shape[1]], parts[0].dtype);
  let at = 0;
  for (const t of parts) {
    out.data.set(t.data, at);
    at += t.numel;
  }
  return out;
}
