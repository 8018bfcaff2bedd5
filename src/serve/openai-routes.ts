import type { FastifyInstance } from "fastify";
import type { ZodType } from "zod";
import { badRequest, fromZod } from "./api-error.js";
import { runCompletion } from "./completion-run.js";
import type { ServeContext } from "./context.js";
import { continuationOptions } from "./sampling-params.js";
import { chatCompletionRequest, completionRequest } from "./schemas.js";

/** OpenAI's default max_tokens for /v1/completions (chat completions default to the rest of the context). */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

export function parseBody<T>(schema: ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

/** POST /v1/chat/completions, POST /v1/completions, GET /v1/models. */
export function registerOpenAiRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const deps = { registry: ctx.registry, scheduler: ctx.scheduler, decode: ctx.decode };

  app.post("/v1/chat/completions", async (request, reply) => {
    const body = parseBody(chatCompletionRequest, request.body);
    ctx.registry.acquire(body.model).release(); // 404 for an unknown model before any tokenizing
    const messages = body.messages.map((m) => ({
      role: m.role === "developer" ? "system" : m.role,
      content: typeof m.content === "string" ? m.content : m.content.map((part) => part.text).join(""),
    }));
    const promptIds = ctx.tokenizer.encodeChat(messages, { addGenerationPrompt: true });
    const options = continuationOptions(body, body.max_completion_tokens ?? body.max_tokens, promptIds.length, ctx.contextLength, undefined);
    await runCompletion(deps, reply, {
      kind: "chat",
      model: body.model,
      promptIds,
      options: { ...options, eosTokenIds: ctx.eosTokenIds },
      stream: body.stream ?? false,
      includeUsage: body.stream_options?.include_usage ?? false,
    });
  });

  app.post("/v1/completions", async (request, reply) => {
    const body = parseBody(completionRequest, request.body);
    ctx.registry.acquire(body.model).release();
    const prompt = body.prompt;
    const first = Array.isArray(prompt) ? prompt[0] : prompt;
    const promptIds = typeof first === "string" ? ctx.tokenizer.encode(first) : Array.isArray(first) ? first : (prompt as number[]);
    for (const id of promptIds) {
      if (id >= ctx.model.config.vocabSize) throw badRequest(`prompt: token id ${id} is outside the vocabulary (${ctx.model.config.vocabSize} tokens)`, "prompt", "invalid_value");
    }
    const options = continuationOptions(body, body.max_tokens, promptIds.length, ctx.contextLength, COMPLETIONS_DEFAULT_MAX_TOKENS);
    await runCompletion(deps, reply, {
      kind: "text",
      model: body.model,
      promptIds,
      options: { ...options, eosTokenIds: ctx.model.eosTokenIds },
      stream: body.stream ?? false,
      includeUsage: body.stream_options?.include_usage ?? false,
    });
  });

  app.get("/v1/models", async () => {
    const base = ctx.registry.baseName;
    const created = Math.floor(Date.now() / 1000);
    return {
      object: "list",
      data: [
        { id: base, object: "model", created, owned_by: "loraforge", root: base, parent: null, max_model_len: ctx.contextLength },
        ...ctx.registry.list().map((a) => ({ id: a.name, object: "model", created: a.createdAt, owned_by: "loraforge", root: a.path, parent: base, max_model_len: ctx.contextLength })),
      ],
    };
  });
}
