import type { Tensor } from "../tensor/index.js";
import type { FrozenLinear } from "./linear-layer.js";
import { linearBackward, linearForward } from "./linear-layer.js";
import type { AdapterCall, AdapterGroup, GroupBackward, LinearAdapter } from "./linear-adapter.js";
import type { ModelBackend } from "./model-backend.js";

/**
 * Frozen linear layers that read one input x [T, in] (a layer's q/k/v, or gate/up), with their adapters
 * (`adapters[i]` belongs to `layers[i]`, undefined where none). When the adapters present form one AdapterGroup,
 * the group adds all of their outputs in one call; otherwise each adapter runs on its own.
 */
export function sharedInputForward(
  backend: ModelBackend,
  x: Tensor,
  layers: readonly FrozenLinear[],
  adapters: readonly (LinearAdapter | undefined)[],
  call: AdapterCall,
): { ys: Tensor[]; adapterBackward?: GroupBackward } {
  const group = wholeGroup(adapters);
  if (!group) {
    const outs = layers.map((layer, i) => linearForward(backend, x, layer, adapters[i], call));
    const backs = outs.map((out) => out.adapterBackward);
    const ys = outs.map((out) => out.y);
    if (backs.every((back) => !back)) return { ys };
    return { ys, adapterBackward: (dys, dx) => backs.forEach((back, i) => back?.(dys[i], dx)) };
  }
  const ys = layers.map((layer) => linearForward(backend, x, layer, undefined, call).y);
  const adapted = adapters.flatMap((adapter, i) => (adapter ? [i] : []));
  const back = group.forward(backend, x, adapted.map((i) => ys[i]), call);
  return { ys, adapterBackward: (dys, dx) => back(adapted.map((i) => dys[i]), dx) };
}

/**
 * Backward of sharedInputForward from each layer's dy: the adapters' gradients, and the input gradient (the sum
 * of every layer's part) unless dx is "none". The base weights are frozen: they get no gradient.
 */
export function sharedInputBackward(backend: ModelBackend, dys: readonly Tensor[], layers: readonly FrozenLinear[], back: GroupBackward | undefined, dx: "new"): Tensor;
export function sharedInputBackward(
  backend: ModelBackend,
  dys: readonly Tensor[],
  layers: readonly FrozenLinear[],
  back: GroupBackward | undefined,
  dx: "none" | "new",
): Tensor | undefined;
export function sharedInputBackward(
  backend: ModelBackend,
  dys: readonly Tensor[],
  layers: readonly FrozenLinear[],
  adapterBackward: GroupBackward | undefined,
  dx: "none" | "new",
): Tensor | undefined {
  if (dx === "none") {
    adapterBackward?.(dys, undefined);
    return undefined;
  }
  const out = linearBackward(backend, dys[0], layers[0], undefined, "new");
  for (let i = 1; i < layers.length; i++) linearBackward(backend, dys[i], layers[i], undefined, out);
  adapterBackward?.(dys, out);
  return out;
}

/** The group whose members are exactly the adapters present, in order; undefined when there is none. */
function wholeGroup(adapters: readonly (LinearAdapter | undefined)[]): AdapterGroup | undefined {
  const present = adapters.filter((adapter): adapter is LinearAdapter => adapter !== undefined);
  const group = present[0]?.group;
  if (!group || group.members.length !== present.length) return undefined;
  return group.members.every((member, i) => member === present[i]) ? group : undefined;
}
