import { ConfigError } from "../util/errors.js";

/** The values a numeric flag accepts: [min, max] (or (min, max] with minExclusive), whole numbers only if integer. */
export interface NumberRange {
  min: number;
  max?: number;
  integer?: boolean;
  minExclusive?: boolean;
}

/**
 * A commander argument parser for a numeric flag: refuses anything that is not a number in range when the flag is
 * parsed, naming the flag (commander passes strings; a bad value must never reach the code that uses it).
 */
export function numberOption(name: string, range: NumberRange): (value: string) => number {
  const { min, max = Infinity, integer = false, minExclusive = false } = range;
  return (value) => {
    const n = Number(value);
    const aboveMin = minExclusive ? n > min : n >= min;
    if (value.trim() === "" || !Number.isFinite(n) || !aboveMin || n > max || (integer && !Number.isInteger(n))) {
      const interval = `${minExclusive ? "(" : "["}${min}, ${max}]`;
      throw new ConfigError(`${name} expects ${integer ? "a whole number" : "a number"} in ${interval}, got "${value}"`);
    }
    return n;
  };
}
