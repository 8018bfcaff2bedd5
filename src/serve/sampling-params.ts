import type { ContinuationOptions } from "../model/index.js";
import { badRequest } from "./api-error.js";
import type { SamplingRequest } from "./schemas.js";

/**
 * The sampler settings of an OpenAI request. OpenAI's defaults: temperature 1, top_p 1; without a seed a
 * sampled request draws one. max_tokens is capped by what the context leaves after the prompt.
 */
export function continuationOptions(
  body: SamplingRequest,
  maxTokens: number | null | undefined,
  promptTokens: number,
  contextLength: number,
  defaultMaxTokens: number | undefined,
): ContinuationOptions {
  const room = contextLength - promptTokens;
  if (room <= 0) {
    throw badRequest(
      `This model's maximum context length is ${contextLength} tokens. However, your prompt has ${promptTokens} tokens. Please reduce the length of the prompt.`,
      "messages",
      "context_length_exceeded",
    );
  }
  const stop = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  return {
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    frequencyPenalty: body.frequency_penalty ?? 0,
    presencePenalty: body.presence_penalty ?? 0,
    seed: body.seed ?? Math.floor(Math.random() * 2 ** 31),
    maxNewTokens: Math.min(maxTokens ?? defaultMaxTokens ?? room, room),
    stopStrings: stop.filter((s) => s.length > 0),
  };
}
