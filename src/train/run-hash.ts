import { createHash } from "node:crypto";
import type { TrainRecord } from "./batches.js";
import type { TrainConfig } from "./config-schema.js";

/** Hash of the resolved config (minus output_dir) and every token of the data: a resume must find the same. */
export function hashRun(config: TrainConfig, train: readonly TrainRecord[], validation: readonly TrainRecord[]): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ ...config, output_dir: undefined }));
  for (const r of [...train, ...validation]) {
    h.update(new Uint8Array(r.inputIds.buffer, r.inputIds.byteOffset, r.inputIds.byteLength));
    h.update(new Uint8Array(r.labels.buffer, r.labels.byteOffset, r.labels.byteLength));
  }
  return h.digest("hex").slice(0, 16);
}
