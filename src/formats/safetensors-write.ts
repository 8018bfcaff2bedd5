import type { DType, Tensor } from "../tensor/index.js";
import { writeAll, writeFileAtomicWith } from "../util/atomic-write.js";
import type { SafetensorsDtype } from "./safetensors-header.js";
import { planLayout } from "./safetensors-header.js";

const SAFETENSORS_DTYPE: Record<DType, SafetensorsDtype> = { f32: "F32", f64: "F64", bf16: "BF16", f16: "F16", i32: "I32" };

/**
 * A tensor to write, produced only when its turn comes: a writer holds one tensor in memory at a time, so a
 * model can be generated, converted or merged into a file without ever being whole in memory.
 */
export interface TensorSource {
  name: string;
  dtype: DType;
  shape: readonly number[];
  load(): Tensor;
}

/** Sources for tensors already in memory. */
export function tensorSources(tensors: Iterable<[string, Tensor]>): TensorSource[] {
  return Array.from(tensors, ([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, load: () => t }));
}

export function safetensorsDtype(dtype: DType): SafetensorsDtype {
  return SAFETENSORS_DTYPE[dtype];
}

/** Default `__metadata__`, as PEFT and transformers write it. */
export const PT_METADATA: Record<string, string> = { format: "pt" };

/**
 * Writes a safetensors file atomically (temp file, fsync, rename, fsync of the folder) from a planned header:
 * `bytesOf` gives each entry's data, in file order. Shared by the dense and the raw (bitsandbytes) writers.
 */
export function writeLaidOut(file: string, layout: ReturnType<typeof planLayout>, bytesOf: (name: string, byteLength: number) => Uint8Array): void {
  writeFileAtomicWith(file, (fd) => {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(layout.header.length));
    writeAll(fd, prefix);
    writeAll(fd, layout.header);
    for (const e of layout.entries) writeAll(fd, bytesOf(e.name, e.end - e.begin));
  });
}

/**
 * Writes a safetensors file atomically, in the reference writer's layout. Each source's load() is called once, in
 * file order.
 */
export function writeSafetensors(file: string, sources: readonly TensorSource[], metadata: Record<string, string> = PT_METADATA): void {
  const bySource = new Map(sources.map((s) => [s.name, s]));
  const layout = planLayout(
    sources.map((s) => ({ name: s.name, dtype: SAFETENSORS_DTYPE[s.dtype], shape: s.shape })),
    metadata,
  );
  writeLaidOut(file, layout, (name) => {
    const source = bySource.get(name)!;
    const t = source.load();
    if (t.dtype !== source.dtype || t.shape.join() !== source.shape.join()) {
      throw new Error(`writeSafetensors: ${name} was announced as ${source.dtype}[${source.shape}] but loaded as ${t.dtype}[${t.shape}]`);
    }
    return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  });
}
