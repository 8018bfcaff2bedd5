import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../util/errors.js";

/**
 * The environment conventions of Python `huggingface_hub`, so loraforge and Python share one login, one cache and
 * one endpoint (docs/hub.md "Environment").
 */

export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** HF_ENDPOINT, without a trailing slash. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT?.trim() || DEFAULT_ENDPOINT).replace(/\/+$/, "");
}

/** HF_HUB_OFFLINE=1 (or true/yes/on, as Python reads it): the cache only, no network at all. */
export function hubOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["1", "true", "yes", "on"].includes((env.HF_HUB_OFFLINE ?? "").trim().toLowerCase());
}

/** HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? path.join(hfHome(env), "hub");
}

function hfHome(env: NodeJS.ProcessEnv): string {
  return env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "huggingface");
}

/**
 * The access token: HF_TOKEN, else the file `huggingface-cli login` writes (HF_TOKEN_PATH, else HF_HOME/token).
 * Never printed or logged anywhere; only its source is ever named.
 */
export function hubToken(env: NodeJS.ProcessEnv = process.env): { token?: string; source?: string } {
  const fromEnv = env.HF_TOKEN?.trim();
  if (fromEnv) return checked(fromEnv, "HF_TOKEN");
  const file = env.HF_TOKEN_PATH ?? path.join(hfHome(env), "token");
  if (!fs.existsSync(file)) return {};
  const fromFile = fs.readFileSync(file, "utf8").trim();
  return fromFile ? checked(fromFile, file) : {};
}

function checked(token: string, source: string): { token: string; source: string } {
  // The Hub's user tokens all start with hf_ (and @huggingface/hub refuses others); say where the bad one came from.
  if (!token.startsWith("hf_")) {
    throw new ConfigError(`the Hugging Face token from ${source} does not start with "hf_"`, {
      hint: "create a token at https://huggingface.co/settings/tokens and set HF_TOKEN, or run `huggingface-cli login`",
    });
  }
  return { token, source };
}
