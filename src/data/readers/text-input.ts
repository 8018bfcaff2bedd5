import { open } from "node:fs/promises";
import { InputError } from "../../util/errors.js";

/** Longest single record (line, CSV row, JSON element text) accepted; past this it is an input mistake. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/**
 * Refuses binary files early with a clear message: a NUL byte in the first 64 KiB, or bytes that are not
 * UTF-8. Reads only that head, so a 1 GB file is not loaded.
 */
export async function assertTextFile(file: string): Promise<void> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(65536);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    const nul = bytes.indexOf(0);
    if (nul >= 0) {
      throw new InputError(`binary data (a NUL byte at offset ${nul}), not UTF-8 text`, { file }, {
        hint: "loraforge reads .jsonl, .json and .csv as UTF-8 text, and .parquet",
      });
    }
    // A multi-byte character may be cut at the end of the head; drop up to 3 trailing bytes before checking.
    const whole = bytesRead === head.length ? bytes.subarray(0, lastCharBoundary(bytes)) : bytes;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(whole);
    } catch {
      throw new InputError("not valid UTF-8 text", { file }, { hint: "save the file as UTF-8" });
    }
  } finally {
    await handle.close();
  }
}

function lastCharBoundary(bytes: Uint8Array): number {
  let end = bytes.length;
  for (let k = 0; k < 3 && end > 0 && (bytes[end - 1] & 0xc0) === 0x80; k++) end--;
  if (end > 0 && bytes[end - 1] >= 0xc0) end--;
  return end;
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
