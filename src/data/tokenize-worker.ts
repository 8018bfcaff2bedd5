// Worker thread: loads the tokenizer once, then tokenizes the batches of records it is sent.
import { parentPort, workerData } from "node:worker_threads";
import { loadTokenizer } from "../tokenizer/index.js";
import { tokenizeRecord } from "./tokenize-record.js";
import type { TokenizerSpec } from "./tokenize-all.js";
import type { TrainingRecord } from "./types.js";

const spec = workerData as TokenizerSpec;
const tok = loadTokenizer(spec.modelDir, { chatTemplate: spec.chatTemplate });
parentPort!.on("message", (batch: { id: number; records: TrainingRecord[] }) => {
  parentPort!.postMessage({ id: batch.id, results: batch.records.map((r) => tokenizeRecord(tok, r, spec.trainOn, spec.maxSeqLength)) });
});
