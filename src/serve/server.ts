import type { FastifyInstance } from "fastify";
import Fastify from "fastify";
import type { Model } from "../model/index.js";
import type { LoraTokenizer } from "../tokenizer/index.js";
import { ConfigError } from "../util/errors.js";
import { AdapterRegistry } from "./adapter-registry.js";
import { registerAdapterRoutes } from "./adapter-routes.js";
import { ApiError, toApiError } from "./api-error.js";
import type { ServeContext } from "./context.js";
import { registerOpenAiRoutes } from "./openai-routes.js";
import { PLAYGROUND_HTML } from "./playground-page.js";
import type { SchedulerLimits } from "./scheduler.js";
import { Scheduler } from "./scheduler.js";

export interface ServerOptions {
  model: Model;
  tokenizer: LoraTokenizer;
  /** The name clients use for the base (vLLM: the --model argument, or --served-model-name). */
  baseName: string;
  /** Adapters to load at start: name → PEFT folder. */
  adapters?: ReadonlyArray<{ name: string; path: string }>;
  /** When set, /v1/* requests need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  limits?: Partial<SchedulerLimits>;
}

export interface LoraServer {
  app: FastifyInstance;
  context: ServeContext;
  /** Starts listening; resolves to the base URL. */
  listen(host: string, port: number): Promise<string>;
  /** Stops accepting, lets running requests finish for up to `graceMs`, cancels the rest, closes. */
  stop(graceMs?: number): Promise<void>;
}

export const DEFAULT_LIMITS: SchedulerLimits = { maxBatch: 32, maxQueue: 256, prefillChunk: 256 };

/**
 * An OpenAI-compatible server over one base model and any number of LoRA adapters (docs/serve.md). Fastify:
 * a maintained, fast HTTP framework whose request lifecycle (hooks, one error handler, hijackable replies for
 * server-sent events) fits an API server without extra plumbing.
 */
export function createServer(options: ServerOptions): LoraServer {
  const { model, tokenizer } = options;
  const contextLength = model.config.maxPositionEmbeddings;
  const registry = new AdapterRegistry(model, options.baseName);
  for (const { name, path } of options.adapters ?? []) {
    try {
      registry.load(name, path);
    } catch (error) {
      throw error instanceof ApiError ? new ConfigError(`adapter ${name}=${path}: ${error.message}`) : error;
    }
  }
  const scheduler = new Scheduler(model, { ...DEFAULT_LIMITS, ...options.limits }, contextLength);
  const context: ServeContext = {
    model,
    tokenizer,
    registry,
    scheduler,
    contextLength,
    decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
    eosTokenIds: [...new Set([...model.eosTokenIds, ...tokenizer.endOfTurnTokenIds])],
  };

  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  app.addHook("onRequest", async (request) => {
    if (!options.apiKey || !request.url.startsWith("/v1/")) return;
    if (request.headers.authorization !== `Bearer ${options.apiKey}`) {
      throw new ApiError(401, "Incorrect API key provided.", "authentication_error", null, "invalid_api_key");
    }
  });
  app.setErrorHandler((error, _request, reply) => {
    const e = toApiError(error);
    if (e.status >= 500) console.error(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    return reply.status(e.status).send(e.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new ApiError(404, `${request.method} ${request.url.split("?")[0]} does not exist`, "not_found_error");
    return reply.status(404).send(e.body);
  });
  app.get("/health", async () => ({ status: "ok", ...scheduler.load, adapters_draining: registry.drainingCount }));
  app.get("/", async (_request, reply) => reply.type("text/html; charset=utf-8").send(PLAYGROUND_HTML));
  registerOpenAiRoutes(app, context);
  registerAdapterRoutes(app, context);

  return {
    app,
    context,
    async listen(host, port) {
      return app.listen({ host, port });
    },
    async stop(graceMs = 10_000) {
      scheduler.close();
      const closing = app.close();
      const timer = setTimeout(() => scheduler.cancelAll(), graceMs);
      await scheduler.idle();
      clearTimeout(timer);
      app.server.closeAllConnections();
      await closing;
    },
  };
}
