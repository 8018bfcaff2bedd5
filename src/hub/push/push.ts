import fs from "node:fs";
import { commit, createBranch, createRepo, repoExists } from "@huggingface/hub";
import { parseHubId } from "../../formats/index.js";
import { ConfigError, LoraforgeError } from "../../util/errors.js";
import type { HubContext } from "../hub-context.js";
import { hubContext, hubParams } from "../hub-context.js";
import { hubError } from "../hub-errors.js";
import type { AdapterCheck } from "../preflight/check-adapter.js";
import { checkAdapter } from "../preflight/check-adapter.js";
import { locateBase } from "../preflight/locate-base.js";
import { baseLicense } from "./base-license.js";
import { buildModelCard } from "./card.js";
import type { PushFile, PushSource } from "./push-source.js";
import { adapterConfigForHub, readPushSource } from "./push-source.js";

export interface PushOptions {
  /** owner/name of the Hub repo (created when missing). */
  repo: string;
  private?: boolean;
  /** Branch to commit to (default main; created when missing). */
  branch?: string;
  message?: string;
  /** The base's Hub id when the source does not record it (or to override it). */
  baseModel?: string;
  /** Hub ids of the datasets, for the card. */
  datasets?: string[];
  /** Plan only: no network at all. */
  dryRun?: boolean;
  context?: HubContext;
  /** Told the plan before anything is sent (to show what is being uploaded). */
  onPlan?: (plan: PushPlan) => void;
}

export interface PushPlan {
  repo: string;
  branch: string;
  kind: PushSource["kind"];
  baseModel?: string;
  /** Every file of the commit, the card included, with its size. */
  files: Array<{ path: string; size: number }>;
  card: string;
  /** The preflight of an adapter (absent for merged models and GGUFs). */
  check?: AdapterCheck;
  /** Things the user should know (a base without a Hub id, a card without a license). */
  notes: string[];
}

export interface PushResult {
  plan: PushPlan;
  commitUrl?: string;
}

async function plan(source: string, options: PushOptions, ctx: HubContext): Promise<{ plan: PushPlan; files: PushFile[] }> {
  const target = parseHubId(options.repo);
  if (!target || target.revision) throw new ConfigError(`--repo ${options.repo}: expected owner/name`, { hint: "e.g. --repo your-name/smollm2-json-lora" });
  if (options.baseModel && !parseHubId(options.baseModel)) throw new ConfigError(`--base-model ${options.baseModel}: expected a Hub id (owner/name)`);
  const src = readPushSource(source);
  const notes: string[] = [];
  const baseModel = options.baseModel ?? src.recordedBase;
  if (!baseModel) notes.push("the base model's Hub id is unknown (the source names a local path or nothing): the card has no base_model; pass --base-model ID");
  const baseDir = locateBase(baseModel, ctx) ?? locateBase(src.recordedBasePath, ctx);
  const license = await baseLicense(baseDir, baseModel, ctx, !options.dryRun);
  if (!license) notes.push("no license found for the base (its README.md is not cached): the card has none; add it on the Hub");
  const files = [...src.files];
  let check: AdapterCheck | undefined;
  if (src.adapterDir) {
    files.unshift(adapterConfigForHub(src.adapterDir, baseModel));
    check = checkAdapter(src.adapterDir, { baseDir });
  }
  const ggufFile = src.kind === "gguf" ? src.files[0].path : undefined;
  const card = buildModelCard({ repo: target.repo, source: src, baseModel, license, datasets: options.datasets, hubUrl: ctx.hubUrl, ggufFile });
  const cardBytes = Buffer.from(card);
  files.push({ path: "README.md", size: cardBytes.length, content: cardBytes });
  return {
    plan: { repo: target.repo, branch: options.branch ?? "main", kind: src.kind, baseModel, files: files.map((f) => ({ path: f.path, size: f.size })), card, check, notes },
    files,
  };
}

async function blobOf(f: PushFile): Promise<Blob> {
  return f.content ? new Blob([f.content]) : fs.openAsBlob(f.file!);
}

/**
 * Publishes a run's adapter, an adapter folder, a merged model folder or a GGUF file to `options.repo` in one commit,
 * with a generated model card (README.md). The repo (and branch) are created when missing. `dryRun` returns the plan
 * without touching the network.
 */
export async function pushToHub(source: string, options: PushOptions): Promise<PushResult> {
  const ctx = options.context ?? hubContext();
  const { plan: p, files } = await plan(source, options, ctx);
  options.onPlan?.(p);
  if (options.dryRun) return { plan: p };
  if (ctx.offline) throw new LoraforgeError("HF_HUB_OFFLINE is set: push needs the network", { hint: "unset HF_HUB_OFFLINE, or use --dry-run to see what would be pushed" });
  if (!ctx.accessToken) {
    throw new LoraforgeError(`pushing to ${p.repo} needs a token with write access`, { hint: "set HF_TOKEN to a write token from https://huggingface.co/settings/tokens, or run `huggingface-cli login`" });
  }
  const params = { ...hubParams(ctx), accessToken: ctx.accessToken, repo: p.repo };
  const action = { repo: p.repo, verb: "push to" };
  try {
    if (!(await repoExists(params))) await createRepo({ ...params, visibility: options.private ? "private" : "public" });
    if (p.branch !== "main") await createBranch({ ...params, branch: p.branch, overwrite: true });
    const operations = await Promise.all(files.map(async (f) => ({ operation: "addOrUpdate" as const, path: f.path, content: await blobOf(f) })));
    const out = await commit({ ...params, branch: p.branch, title: options.message ?? `Upload ${p.kind === "adapter" ? "LoRA adapter" : p.kind === "merged" ? "model" : "GGUF"} with loraforge`, operations });
    return { plan: p, commitUrl: out?.commit.url };
  } catch (err) {
    throw hubError(err, ctx, action);
  }
}
