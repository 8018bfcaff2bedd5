/** One chat turn, as templates receive it (OpenAI / Hugging Face message shape). */
export interface ChatMessage {
  role: string;
  content: string;
  /** Tool calls of an assistant turn, passed to the template unchanged. */
  tool_calls?: unknown[];
  name?: string;
  tool_call_id?: string;
  /** Not shown to the template: 0 leaves an assistant turn untrained (OpenAI's fine-tuning `weight`). */
  weight?: 0 | 1;
}

/** A tokenized training example: labels are aligned with inputIds (the model shifts them); −100 = not trained. */
export interface TokenizedExample {
  inputIds: number[];
  labels: number[];
}

export const IGNORE_INDEX = -100;
