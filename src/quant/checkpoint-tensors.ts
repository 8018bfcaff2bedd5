import type { CheckpointReader } from "../formats/index.js";
import { SafetensorsReader } from "../formats/index.js";
import type { CheckpointTensors } from "./bnb-format.js";

/** Raw access to a checkpoint's tensors (bytes of any dtype, shard by shard); close() when done. */
export function checkpointTensors(reader: CheckpointReader): CheckpointTensors & { close(): void } {
  const files = new Map<string, SafetensorsReader>();
  return {
    has: (name) => reader.has(name),
    entry: (name) => reader.locate(name).entry,
    fileOf: (name) => reader.locate(name).file,
    bytes: (name) => {
      const { file } = reader.locate(name);
      let r = files.get(file);
      if (!r) files.set(file, (r = SafetensorsReader.open(file)));
      return r.readBytes(name);
    },
    close: () => {
      for (const r of files.values()) r.close();
      files.clear();
    },
  };
}
