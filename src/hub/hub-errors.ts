import { HubApiError } from "@huggingface/hub";
import { LoraforgeError } from "../util/errors.js";
import type { HubContext } from "./hub-context.js";

/** What was being done when the Hub said no, for the message. */
export interface HubAction {
  repo: string;
  revision?: string;
  /** e.g. "download", "push to". */
  verb: string;
}

/** The connection failed (as opposed to the Hub answering no): a cached copy may stand in. */
export class HubNetworkError extends LoraforgeError {}

/** The Hub knows no such repo (404), or not without a token (401): maybe the name was meant as a local path. */
export class HubNotFoundError extends LoraforgeError {}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

/** A failure of the connection itself (refused, reset, dropped mid-body, DNS), as opposed to an answer from the Hub. */
export function isNetworkError(err: unknown): boolean {
  if (typeof err === "string") return true; // a body stream aborted with the reason text (WebBlob.stream)
  if (!(err instanceof Error)) return false;
  const cause = err.cause as { code?: string } | undefined;
  if (cause?.code && NETWORK_CODES.has(cause.code)) return true;
  const code = (err as Error & { code?: string }).code;
  if (code && NETWORK_CODES.has(code)) return true;
  return err instanceof TypeError && /fetch failed|terminated|network/i.test(err.message);
}

const LOGIN_HINT = "set HF_TOKEN to a token from https://huggingface.co/settings/tokens, or run `huggingface-cli login`";

/**
 * Turns what @huggingface/hub or fetch threw into a LoraforgeError that says what to do; anything else (a bug) is
 * rethrown as it is.
 */
export function hubError(err: unknown, ctx: HubContext, action: HubAction): Error {
  if (err instanceof LoraforgeError) return err;
  const page = `${ctx.hubUrl}/${action.repo}`;
  if (isNetworkError(err)) {
    const why = typeof err === "string" ? err : ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    return new HubNetworkError(`could not ${action.verb} ${action.repo}: network failure talking to ${ctx.hubUrl} (${why})`, {
      hint: `check the connection (or HF_ENDPOINT) and run the command again: finished files are kept and a partial one resumes; HF_HUB_OFFLINE=1 uses only what is cached`,
    });
  }
  if (!(err instanceof HubApiError)) return err as Error;
  const code = ctx.errorCodes.get(err.url);
  const status = err.statusCode;
  const rev = action.revision && code !== "RepoNotFound" ? ` at revision ${action.revision}` : "";
  if (code === "GatedRepo") {
    return new LoraforgeError(`${action.repo} is a gated model: your account has not been granted access`, {
      hint: ctx.accessToken
        ? `open ${page}, accept its conditions with the account of the token from ${ctx.tokenSource}, then run the command again`
        : `open ${page} and accept its conditions, then ${LOGIN_HINT}`,
    });
  }
  if (code === "RevisionNotFound") {
    return new LoraforgeError(`${action.repo} has no revision ${action.revision ?? "main"}`, { hint: `see the branches, tags and commits at ${page}` });
  }
  if (code === "EntryNotFound") return new LoraforgeError(`${action.repo}${rev}: ${err.message}`, { hint: `see the files at ${page}/tree/${action.revision ?? "main"}` });
  if (status === 401) {
    return new (ctx.accessToken ? LoraforgeError : HubNotFoundError)(
      ctx.accessToken
        ? `the Hub refused the token from ${ctx.tokenSource} for ${action.repo} (401)`
        : `${action.repo}: the Hub needs a token (401): the repo is private or gated, or does not exist`,
      { hint: ctx.accessToken ? `the token may be expired or lack ${action.verb === "download" ? "read" : "write"} access: ${LOGIN_HINT}` : LOGIN_HINT },
    );
  }
  if (status === 403) {
    return new LoraforgeError(`${action.repo}: the Hub refused to let this token ${action.verb} it (403)`, {
      hint: action.verb === "download" ? `if the model is gated, accept its conditions at ${page}` : `use a token with write access to ${action.repo.split("/")[0]}: ${LOGIN_HINT}`,
    });
  }
  if (status === 404) {
    return new HubNotFoundError(`${action.repo}${rev} was not found on ${ctx.hubUrl} (404)`, {
      hint: `check the id (owner/name, case matters) at ${page}; a private repo also answers 404 without a token: ${LOGIN_HINT}`,
    });
  }
  if (status >= 500) {
    return new LoraforgeError(`the Hub failed to ${action.verb} ${action.repo} (${status}: ${err.message})`, {
      hint: "the Hub is having trouble; run the command again later (finished files are kept, a partial one resumes)",
    });
  }
  return new LoraforgeError(`could not ${action.verb} ${action.repo}: ${err.message} (${status})`);
}
