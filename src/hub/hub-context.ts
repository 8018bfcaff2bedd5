import { hubCacheDir, hubEndpoint, hubOffline, hubToken } from "./hub-env.js";

/**
 * What every Hub call needs: the endpoint, the token (if any), the cache, and a fetch that remembers the Hub's
 * `X-Error-Code` header per URL (gated / missing repo / missing revision), which @huggingface/hub's errors drop.
 */
export interface HubContext {
  hubUrl: string;
  accessToken?: string;
  /** Where the token came from (HF_TOKEN or a file path), for messages; the token itself is never shown. */
  tokenSource?: string;
  offline: boolean;
  cacheDir: string;
  fetch: typeof fetch;
  /** X-Error-Code of failed responses, by response URL. */
  errorCodes: Map<string, string>;
}

export interface HubContextOptions {
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
}

export function hubContext(options: HubContextOptions = {}): HubContext {
  const env = options.env ?? process.env;
  const offline = hubOffline(env);
  const { token, source } = hubToken(env);
  const errorCodes = new Map<string, string>();
  const recordingFetch: typeof fetch = async (input, init) => {
    if (offline) throw new Error("loraforge bug: a network request in offline mode (HF_HUB_OFFLINE=1)");
    const response = await fetch(input, init);
    const code = response.headers.get("x-error-code");
    if (!response.ok && code) errorCodes.set(response.url, code);
    return response;
  };
  return {
    hubUrl: hubEndpoint(env),
    accessToken: token,
    tokenSource: source,
    offline,
    cacheDir: options.cacheDir ?? hubCacheDir(env),
    fetch: recordingFetch,
    errorCodes,
  };
}

/** The parameters @huggingface/hub's functions share. */
export function hubParams(ctx: HubContext): { hubUrl: string; accessToken?: string; fetch: typeof fetch } {
  return { hubUrl: ctx.hubUrl, accessToken: ctx.accessToken, fetch: ctx.fetch };
}
