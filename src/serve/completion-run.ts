import { randomUUID } from "node:crypto";
import type { FastifyReply } from "fastify";
import type { ContinuationOptions } from "../model/index.js";
import type { AdapterRegistry } from "./adapter-registry.js";
import type { Scheduler, SequenceResult } from "./scheduler.js";

/** One completion request, already validated and tokenized. */
export interface CompletionSpec {
  kind: "chat" | "text";
  /** The `model` the client named (the base or an adapter). */
  model: string;
  promptIds: readonly number[];
  options: ContinuationOptions;
  stream: boolean;
  includeUsage: boolean;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * Runs a completion through the scheduler and answers with one JSON body or, with `stream`, server-sent events
 * ending in `data: [DONE]`. A client that goes away cancels its sequence (its KV cache is freed at once).
 */
export async function runCompletion(
  deps: { registry: AdapterRegistry; scheduler: Scheduler; decode: (ids: number[]) => string },
  reply: FastifyReply,
  spec: CompletionSpec,
): Promise<void> {
  const lease = deps.registry.acquire(spec.model);
  try {
    const id = `${spec.kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "")}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      id,
      object: spec.kind === "chat" ? "chat.completion.chunk" : "text_completion",
      created,
      model: spec.model,
      choices: [{ index: 0, ...choice, logprobs: null }],
      ...extra,
    });
    let write: ((data: unknown) => void) | undefined;
    const handle = deps.scheduler.submit({
      promptIds: spec.promptIds,
      adapters: lease.modules,
      options: { ...spec.options, decode: deps.decode },
      onText: (delta) => write?.(chunk(spec.kind === "chat" ? { delta: { content: delta }, finish_reason: null } : { text: delta, finish_reason: null })),
    });
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) handle.cancel();
    });
    if (spec.stream) {
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
      write = (data) => reply.raw.write(`data: ${JSON.stringify(data)}\n\n`);
      if (spec.kind === "chat") write(chunk({ delta: { role: "assistant", content: "" }, finish_reason: null }));
    }
    let result: SequenceResult;
    try {
      result = await handle.done;
    } catch {
      if (!write) throw new Error("generation failed");
      write({ error: { message: "internal server error", type: "server_error", param: null, code: null } });
      reply.raw.end("data: [DONE]\n\n");
      return;
    }
    if (result.finishReason === "cancelled") {
      if (!reply.raw.destroyed) reply.raw.destroy();
      return;
    }
    const usage: Usage = {
      prompt_tokens: result.promptTokens,
      completion_tokens: result.completionTokens,
      total_tokens: result.promptTokens + result.completionTokens,
    };
    if (write) {
      write(chunk(spec.kind === "chat" ? { delta: {}, finish_reason: result.finishReason } : { text: "", finish_reason: result.finishReason }));
      if (spec.includeUsage) write({ ...chunk({}), choices: [], usage });
      reply.raw.end("data: [DONE]\n\n");
      return;
    }
    const choice = spec.kind === "chat" ? { message: { role: "assistant", content: result.text } } : { text: result.text };
    await reply.send({
      id,
      object: spec.kind === "chat" ? "chat.completion" : "text_completion",
      created,
      model: spec.model,
      choices: [{ index: 0, ...choice, finish_reason: result.finishReason, logprobs: null }],
      usage,
    });
  } finally {
    lease.release();
  }
}
