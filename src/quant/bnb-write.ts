import { PT_METADATA, planLayout, writeLaidOut } from "../formats/index.js";
import type { RawTensor } from "./bnb-format.js";

/** Writes raw tensors (any safetensors dtype, U8 included) into one safetensors file, atomically. */
export function writeRawSafetensors(file: string, tensors: readonly RawTensor[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  writeLaidOut(file, planLayout(tensors, PT_METADATA), (name, byteLength) => {
    const t = byName.get(name)!;
    if (t.bytes.length !== byteLength) throw new Error(`writeRawSafetensors: ${name} holds ${t.bytes.length} bytes, its shape needs ${byteLength}`);
    return t.bytes;
  });
}
