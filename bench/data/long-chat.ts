import { closeSync, openSync, writeSync } from "node:fs";
import { Rng } from "../../src/util/rng.js";

const WORDS = "the of and to in is that for it as with was on be by this are from at or an have not they which one you were all we can her has there been if more when will would who so no".split(" ");
const USER_ROLES = ["human", "human", "human", "user"];
const ASSISTANT_ROLES = ["gpt", "gpt", "gpt", "chatgpt", "bing", "bard", "model"];

function text(rng: Rng, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(rng.next() < 0.2 ? `w${rng.int(5000)}` : WORDS[rng.int(WORDS.length)]);
  return `${out.join(" ")}.`;
}

/**
 * `count` ShareGPT-style conversations as real dumps have them: 2–20 turns of 20–400 words, role aliases
 * (human/gpt/chatgpt/bing/bard/model), a system prompt in 1 of 5, 1 in 8 a chunk that starts with the assistant,
 * an empty turn in 1 of 50 (invalid, skipped), and every `longEvery`-th conversation about `longWords` words
 * (≈100k tokens at 80k words). One JSONL line at a time, so a file of any size can be written without holding it.
 */
export function* longChatLines(count: number, seed: number, longEvery = 500, longWords = 80_000): Generator<string> {
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const long = i % longEvery === longEvery - 1;
    const turns = long ? Math.ceil(longWords / 400) : 2 + rng.int(19);
    const conversation: Array<{ from: string; value: string }> = [];
    if (rng.next() < 0.2) conversation.push({ from: "system", value: text(rng, 15) });
    const assistantFirst = rng.next() < 0.125;
    for (let t = 0; t < turns; t++) {
      const assistant = (t % 2 === 1) !== assistantFirst;
      const roles = assistant ? ASSISTANT_ROLES : USER_ROLES;
      const words = long ? 400 : 20 + rng.int(assistant ? 380 : 120);
      conversation.push({ from: roles[rng.int(roles.length)], value: rng.next() < 0.02 && !long ? "" : text(rng, words) });
    }
    yield JSON.stringify({ conversations: conversation });
  }
}

/** Writes lines to `file` (one per line) as they come, in ~1 MiB writes. */
export function writeLines(file: string, lines: Iterable<string>): void {
  const fd = openSync(file, "w");
  try {
    let pending: string[] = [];
    let size = 0;
    for (const line of lines) {
      pending.push(line, "\n");
      size += line.length + 1;
      if (size < 1 << 20) continue;
      writeSync(fd, pending.join(""));
      [pending, size] = [[], 0];
    }
    writeSync(fd, pending.join(""));
  } finally {
    closeSync(fd);
  }
}
