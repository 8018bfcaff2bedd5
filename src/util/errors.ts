/**
 * Errors that loraforge raises on purpose. The CLI prints their message (and hint) without a stack trace;
 * anything else is a bug and is reported as one.
 */
export class LoraforgeError extends Error {
  /** What the user can do about it, printed on its own line. */
  readonly hint?: string;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Tensor shapes or dtypes that an op cannot take; the message names the op and the shapes. */
export class ShapeError extends LoraforgeError {}

/** A problem with an input file: the message names the file and, where known, the line and field. */
export class InputError extends LoraforgeError {
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;

  constructor(
    message: string,
    location: { file?: string; line?: number; field?: string } = {},
    options: { hint?: string; cause?: unknown } = {},
  ) {
    const where = [location.file, location.line !== undefined ? `line ${location.line}` : undefined, location.field]
      .filter((part) => part !== undefined)
      .join(", ");
    super(where ? `${where}: ${message}` : message, options);
    this.file = location.file;
    this.line = location.line;
    this.field = location.field;
  }
}

/** A setting that is missing, of the wrong type, or impossible. */
export class ConfigError extends LoraforgeError {}
