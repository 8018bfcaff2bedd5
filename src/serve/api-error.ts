import type { ZodError } from "zod";
import { LoraforgeError } from "../util/errors.js";

/** The error types OpenAI's API answers with (and vLLM's, for the adapter endpoints). */
export type ApiErrorType = "invalid_request_error" | "authentication_error" | "not_found_error" | "rate_limit_error" | "server_error";

/** An HTTP error with an OpenAI-shaped body: `{ "error": { message, type, param, code } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get body(): { error: { message: string; type: ApiErrorType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, "invalid_request_error", param, code);
}

export function notFound(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(404, message, "not_found_error", param, code);
}

/** The first problem zod found, with the field it concerns as `param`. */
export function fromZod(error: ZodError): ApiError {
  const issue = error.issues[0];
  if (issue.code === "unrecognized_keys") {
    const key = [...issue.path, issue.keys[0]].join(".");
    return badRequest(`Unrecognized request argument supplied: ${issue.keys.join(", ")}`, key, "unknown_parameter");
  }
  const param = issue.path.join(".") || null;
  return badRequest(param ? `${param}: ${issue.message}` : issue.message, param, "invalid_value");
}

/**
 * Any error as an ApiError: ours unchanged; the project's own errors (a bad setting or file) as 400 with their
 * message and hint; a framework error with a 4xx status keeps it; anything else is a 500 that names no internals.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof LoraforgeError) return badRequest(error.hint ? `${error.message} (${error.hint})` : error.message);
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const message = error instanceof Error ? error.message : String(error);
    return new ApiError(status, message, status === 404 ? "not_found_error" : "invalid_request_error");
  }
  return new ApiError(500, "internal server error", "server_error");
}
