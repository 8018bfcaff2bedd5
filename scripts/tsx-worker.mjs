// Starts a TypeScript worker when loraforge runs from source (tests, development): registers tsx in the worker
// thread, then imports the worker module named in workerData.entry. The built package never uses this.
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
await import(workerData.entry);
