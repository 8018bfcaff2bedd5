import { z } from "zod";

// Request bodies of the OpenAI endpoints we serve (field names and ranges from OpenAI's API reference), and of
// vLLM's adapter endpoints. Objects are strict: a field we do not know is a 400 naming it, never ignored.

const samplingFields = {
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  /** Only 1: each request is one sequence. */
  n: z.literal(1, { error: "only n = 1 is supported" }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().nullish() }).nullish(),
  /** Accepted and ignored, as OpenAI uses it only for abuse monitoring. */
  user: z.string().nullish(),
};

const textPart = z.strictObject({ type: z.literal("text"), text: z.string() });

const message = z.strictObject({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(textPart)]),
  name: z.string().optional(),
});

export const chatCompletionRequest = z.strictObject({
  ...samplingFields,
  messages: z.array(message).min(1),
  max_completion_tokens: z.number().int().min(1).nullish(),
  logprobs: z.literal(false, { error: "logprobs are not supported" }).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

export const completionRequest = z.strictObject({
  ...samplingFields,
  /** A string, or one string in a list, or token ids (one list of them, or one list in a list). */
  prompt: z.union([z.string(), z.array(z.string()).length(1), z.array(z.number().int().min(0)).min(1), z.array(z.array(z.number().int().min(0)).min(1)).length(1)]),
  echo: z.literal(false, { error: "echo is not supported" }).nullish(),
  logprobs: z.null({ error: "logprobs are not supported" }).optional(),
  best_of: z.literal(1, { error: "only best_of = 1 is supported" }).nullish(),
  suffix: z.null({ error: "suffix is not supported" }).optional(),
});
export type CompletionRequest = z.infer<typeof completionRequest>;

export const loadAdapterRequest = z.strictObject({ lora_name: z.string().min(1), lora_path: z.string().min(1) });
export const unloadAdapterRequest = z.strictObject({ lora_name: z.string().min(1), lora_int_id: z.number().int().nullish() });

/** The sampling fields both endpoints share. */
export type SamplingRequest = Pick<ChatCompletionRequest, keyof typeof samplingFields>;
