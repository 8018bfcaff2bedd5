import { TemplateError } from "./errors.js";

/**
 * The date that `strftime_now` reports. Templates that stamp today's date (Llama 3.1's "Today Date") would make
 * renders, token ids and the cache depend on the day; a fixed date keeps them reproducible.
 */
export const FIXED_TEMPLATE_DATE = new Date(Date.UTC(2024, 6, 26, 0, 0, 0));

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Python's strftime for the directives chat templates use, on FIXED_TEMPLATE_DATE (UTC). */
export function strftimeFixed(format: string): string {
  const d = FIXED_TEMPLATE_DATE;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const dayOfYear = Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  const fields: Record<string, string> = {
    d: pad(d.getUTCDate()),
    e: String(d.getUTCDate()).padStart(2, " "),
    m: pad(d.getUTCMonth() + 1),
    Y: String(d.getUTCFullYear()),
    y: pad(d.getUTCFullYear() % 100),
    B: MONTHS[d.getUTCMonth()],
    b: MONTHS[d.getUTCMonth()].slice(0, 3),
    A: DAYS[d.getUTCDay()],
    a: DAYS[d.getUTCDay()].slice(0, 3),
    H: pad(d.getUTCHours()),
    M: pad(d.getUTCMinutes()),
    S: pad(d.getUTCSeconds()),
    j: pad(dayOfYear, 3),
    "%": "%",
  };
  return format.replace(/%(.)/g, (whole, key: string) => fields[key] ?? whole);
}

function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new TemplateError("range() step must not be zero");
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/**
 * Names every chat template may use, as transformers provides them. @huggingface/jinja's Template.render
 * declares its own strftime_now (today's date) and refuses redeclarations, so loraforge builds the
 * environment itself with these.
 */
export const TEMPLATE_GLOBALS: Record<string, unknown> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
  range,
  raise_exception(message: unknown): never {
    throw new TemplateError(`the chat template refused this conversation: ${String(message)}`);
  },
  strftime_now: strftimeFixed,
};
