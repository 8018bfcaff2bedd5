import { LoraforgeError } from "../util/errors.js";

/** A chat template that cannot be rendered for a conversation, or whose output cannot be masked. */
export class TemplateError extends LoraforgeError {}
