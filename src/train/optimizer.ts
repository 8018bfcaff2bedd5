import type { ModelBackend } from "../model/index.js";
import { Tensor } from "../tensor/index.js";

export interface OptimizerSettings {
  kind: "adamw" | "sgd";
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * AdamW (exactly torch.optim.AdamW) or plain SGD over the LoRA parameters, with fp32 moments. Its state
 * (step count and moments) is saved in checkpoints so a resumed run continues bit for bit.
 */
export class Optimizer {
  /** Optimizer steps taken so far. */
  step = 0;
  readonly m: Tensor[];
  readonly v: Tensor[];

  constructor(
    private readonly backend: ModelBackend,
    readonly params: readonly Tensor[],
    readonly grads: readonly Tensor[],
    readonly settings: OptimizerSettings,
  ) {
    const moments = () => (settings.kind === "adamw" ? params.map((p) => Tensor.zeros(p.shape, p.dtype)) : []);
    this.m = moments();
    this.v = moments();
  }

  /** Applies one update with learning rate `lr` to every parameter from its gradient. */
  apply(lr: number): void {
    this.step++;
    const s = this.settings;
    for (let i = 0; i < this.params.length; i++) {
      if (s.kind === "adamw") {
        this.backend.adamwStep(this.params[i], this.grads[i], this.m[i], this.v[i], {
          lr,
          beta1: s.beta1,
          beta2: s.beta2,
          eps: s.eps,
          weightDecay: s.weightDecay,
          step: this.step,
        });
      } else {
        this.backend.sgdStep(this.params[i], this.grads[i], lr, s.weightDecay);
      }
    }
  }

  /** The moments as named tensors (for a checkpoint). */
  stateTensors(): Array<[string, Tensor]> {
    return [...this.m.map((t, i): [string, Tensor] => [`m.${i}`, t]), ...this.v.map((t, i): [string, Tensor] => [`v.${i}`, t])];
  }

  /** Restores moments and the step count saved by stateTensors(). */
  loadState(step: number, read: (name: string) => Tensor): void {
    this.step = step;
    const fill = (into: Tensor[], prefix: string) =>
      into.forEach((t, i) => {
        const saved = read(`${prefix}.${i}`);
        if (saved.numel !== t.numel) throw new Error(`optimizer state ${prefix}.${i} has ${saved.numel} values, expected ${t.numel}`);
        t.data.set(saved.data);
      });
    fill(this.m, "m");
    fill(this.v, "v");
  }
}
