import fs from "node:fs";
import path from "node:path";
import { tensorSources, withSafetensors, writeSafetensors } from "../formats/index.js";
import type { LoraAdapter } from "../lora/index.js";
import { saveAdapter } from "../lora/index.js";
import { readAdapterWeights, readJsonObject } from "../formats/index.js";
import { removeDirAtomic, writeDirAtomic, writeFileAtomic } from "../util/atomic-write.js";
import { InputError } from "../util/errors.js";
import type { Optimizer } from "./optimizer.js";
import type { WatchState } from "./validation-watch.js";

/** Where the loop stands: enough, with the adapter and optimizer moments, to continue bit for bit. */
export interface TrainerState {
  globalStep: number;
  epoch: number;
  /** Optimizer steps of `epoch` already done. */
  stepInEpoch: number;
  watch: WatchState;
  /** Training loss since the last evaluation (for the overfitting report). */
  window: { lossSum: number; count: number };
  /** Hash of the resolved config and data the run started with; a resume must match it. */
  runHash: string;
}

const STATE_FILE = "trainer_state.json";
const OPTIMIZER_FILE = "optimizer.safetensors";
const ADAPTER_DIR = "adapter";
const PREFIX = "checkpoint-";

export function checkpointsDir(outputDir: string): string {
  return path.join(outputDir, "checkpoints");
}

/** Writes checkpoint-<step> in one atomic folder rename: a crash leaves the previous checkpoints intact. */
export function saveCheckpoint(outputDir: string, adapter: LoraAdapter, optimizer: Optimizer, state: TrainerState): string {
  const dir = path.join(checkpointsDir(outputDir), `${PREFIX}${state.globalStep}`);
  writeDirAtomic(
    dir,
    (tmp) => {
      saveAdapter(adapter, path.join(tmp, ADAPTER_DIR));
      writeSafetensors(path.join(tmp, OPTIMIZER_FILE), tensorSources(optimizer.stateTensors()), {
        format: "pt",
        step: String(optimizer.step),
      });
      writeFileAtomic(path.join(tmp, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    },
    { replace: true },
  );
  return dir;
}

/** Checkpoint folders of a run, oldest first. */
export function listCheckpoints(outputDir: string): Array<{ step: number; dir: string }> {
  const root = checkpointsDir(outputDir);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((name) => name.startsWith(PREFIX) && /^\d+$/.test(name.slice(PREFIX.length)))
    .map((name) => ({ step: Number(name.slice(PREFIX.length)), dir: path.join(root, name) }))
    .filter((c) => fs.existsSync(path.join(c.dir, STATE_FILE)))
    .sort((a, b) => a.step - b.step);
}

/**
 * Deletes all but the newest `limit` checkpoints, never the one at the best step, and the temporary folders a
 * crash during a save left behind (this process's own save has finished when this runs).
 */
export function pruneCheckpoints(outputDir: string, limit: number, bestStep: number | undefined): void {
  const root = checkpointsDir(outputDir);
  for (const name of fs.readdirSync(root)) if (name.startsWith(PREFIX) && name.includes(".tmp-")) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  const all = listCheckpoints(outputDir);
  const keep = new Set(all.slice(-limit).map((c) => c.step));
  if (bestStep !== undefined) keep.add(bestStep);
  for (const c of all) if (!keep.has(c.step)) removeDirAtomic(c.dir);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads a checkpoint's trainer_state.json; a missing, torn or foreign file is an InputError naming it. */
export function readTrainerState(dir: string): TrainerState {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file)) throw new InputError("not a loraforge checkpoint (trainer_state.json is missing)", { file: dir });
  const raw = readJsonObject(file);
  const foreign = (why: string) => new InputError(`not a loraforge trainer state (${why})`, { file });
  for (const key of ["globalStep", "epoch", "stepInEpoch"]) {
    const v = raw[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw foreign(`${key} must be a whole number`);
  }
  if (typeof raw.runHash !== "string") throw foreign("runHash must be a string");
  if (!isObject(raw.watch)) throw foreign("watch must be an object");
  const w = raw.window;
  if (!isObject(w) || typeof w.lossSum !== "number" || typeof w.count !== "number") throw foreign("window must hold lossSum and count");
  return raw as unknown as TrainerState;
}

/** Opens every file of a checkpoint (state, adapter, optimizer moments) without loading it; throws what is wrong. */
export function verifyCheckpoint(dir: string): TrainerState {
  const state = readTrainerState(dir);
  withSafetensors(path.join(dir, ADAPTER_DIR, "adapter_model.safetensors"), () => undefined);
  withSafetensors(path.join(dir, OPTIMIZER_FILE), () => undefined);
  return state;
}

/** Loads a checkpoint into the adapter and optimizer; returns the trainer state. */
export function loadCheckpoint(dir: string, adapter: LoraAdapter, optimizer: Optimizer): TrainerState {
  const state = readTrainerState(dir);
  const saved = readAdapterWeights(path.join(dir, ADAPTER_DIR, "adapter_model.safetensors"));
  for (const [modulePath, module] of adapter.modules) {
    const pair = saved.get(modulePath);
    if (!pair || pair.A.numel !== module.a.numel || pair.B.numel !== module.b.numel) {
      throw new InputError(`the checkpoint's adapter does not match this run's LoRA module ${modulePath}`, { file: dir });
    }
    module.a.data.set(pair.A.to(module.a.dtype).data);
    module.b.data.set(pair.B.to(module.b.dtype).data);
  }
  withSafetensors(path.join(dir, OPTIMIZER_FILE), (reader) => {
    optimizer.loadState(state.globalStep, (name) => reader.read(name));
  });
  return state;
}
