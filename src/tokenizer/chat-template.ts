import { Environment, Interpreter, Template } from "@huggingface/jinja";
import { TemplateError } from "./errors.js";
import { TEMPLATE_GLOBALS } from "./template-globals.js";
import type { ChatMessage } from "./types.js";

export interface RenderOptions {
  /** Append the header that opens an assistant turn (what a generation starts from). */
  addGenerationPrompt?: boolean;
  /** Tool (function) schemas, passed to the template as `tools`. */
  tools?: unknown[];
  /** Further template variables (e.g. `enable_thinking`). */
  variables?: Record<string, unknown>;
}

/** The fields a template sees; loraforge's own fields (`weight`) stay out of it. */
function templateMessage(message: ChatMessage): Record<string, unknown> {
  const { weight: _weight, ...rest } = message;
  return rest;
}

/** A parsed Jinja chat template bound to the tokenizer's special-token strings. */
export class ChatTemplate {
  private readonly template: Template;

  /** `origin`: the file (or built-in name) the source came from, named when it does not parse. */
  constructor(
    readonly source: string,
    private readonly specialTokens: Record<string, string | undefined>,
    origin = "the chat template",
  ) {
    try {
      // @huggingface/jinja accepts and drops `{% generation %}` tags, so masks never rely on them.
      this.template = new Template(source);
    } catch (err) {
      throw new TemplateError(`${origin}: the chat template does not parse: ${(err as Error).message}`);
    }
  }

  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    const variables: Record<string, unknown> = {
      ...TEMPLATE_GLOBALS,
      ...this.specialTokens,
      ...options.variables,
      messages: messages.map(templateMessage),
      add_generation_prompt: options.addGenerationPrompt ?? false,
      tools: options.tools,
    };
    const env = new Environment();
    // Unset names stay undefined in the template, as transformers leaves absent special tokens out.
    for (const [name, value] of Object.entries(variables)) if (value !== undefined) env.set(name, value);
    try {
      return new Interpreter(env).run(this.template.parsed).value as string;
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      throw new TemplateError(`the chat template failed: ${(err as Error).message}`);
    }
  }
}
