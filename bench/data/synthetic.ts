import { Rng } from "../../src/util/rng.js";

const SYLLABLES = ["ka", "lo", "mi", "ser", "tan", "vu", "pre", "dol", "qui", "ne", "ra", "sho", "bel", "tor", "gi", "fen", "ul", "ix", "mar", "zo"];

/** A vocabulary of distinct pseudo-words of 2–4 syllables. */
function vocabulary(size: number, rng: Rng): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const n = 2 + rng.int(3);
    let w = "";
    for (let i = 0; i < n; i++) w += SYLLABLES[rng.int(SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

function sentence(rng: Rng, vocab: string[], words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(vocab[Math.floor(vocab.length * rng.next() ** 2)]);
  return `${out.join(" ")}.`;
}

/**
 * `count` chat records of about 300 Llama-3 tokens each over ≥10,000 distinct words, as JSONL lines; 1% are
 * exact copies and 1% near copies (one word changed) of earlier records, so dedupe has work to do.
 */
export function syntheticChatJsonl(count: number, seed: number): string[] {
  const rng = new Rng(seed);
  const vocab = vocabulary(12_000, rng);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const roll = rng.next();
    if (i > 100 && roll < 0.01) {
      lines.push(lines[rng.int(lines.length)]);
      continue;
    }
    if (i > 100 && roll < 0.02) {
      const source = JSON.parse(lines[rng.int(lines.length)]) as { messages: Array<{ content: string }> };
      source.messages[2].content = source.messages[2].content.replace(/^\S+/, "changed");
      lines.push(JSON.stringify(source));
      continue;
    }
    const messages = [
      { role: "system", content: `You are assistant ${i % 7}. ${sentence(rng, vocab, 6)}` },
      { role: "user", content: `${sentence(rng, vocab, 12)} ${sentence(rng, vocab, 12)}?` },
      { role: "assistant", content: [0, 1, 2, 3].map(() => sentence(rng, vocab, 12)).join(" ") },
    ];
    lines.push(JSON.stringify({ messages }));
  }
  return lines;
}
