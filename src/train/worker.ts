// The training worker: runs the loop off the main thread so the progress display and Ctrl-C stay responsive.
import { parentPort, workerData } from "node:worker_threads";
import { LoraforgeError } from "../util/errors.js";
import { describePlan, openSession } from "./session.js";
import { runTraining } from "./trainer.js";
import type { WorkerInput, WorkerMessage } from "./worker-protocol.js";

const input = workerData as WorkerInput;
const stop = new Int32Array(input.stopFlag);
const post = (message: WorkerMessage) => parentPort!.postMessage(message);

async function main(): Promise<void> {
  const session = await openSession(input.config);
  post({ type: "plan", plan: describePlan(input.config, session), runHash: session.runHash });
  const result = runTraining(
    { ...session, config: input.config, resumeFrom: input.resumeFrom },
    {
      onStep: (event) => post({ type: "step", event }),
      onEval: (event) => post({ type: "eval", event }),
      onCheckpoint: (dir, step) => post({ type: "checkpoint", dir, step }),
      stopRequested: () => Atomics.load(stop, 0) === 1,
    },
  );
  post({ type: "done", result });
}

main().catch((err: unknown) => {
  const e = err as Error;
  post({
    type: "error",
    message: e?.message ?? String(err),
    hint: err instanceof LoraforgeError ? err.hint : undefined,
    expected: err instanceof LoraforgeError,
    stack: e?.stack,
  });
});
