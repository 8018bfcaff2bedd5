/**
 * MinHash signatures over word shingles, and an LSH index over them, for near-duplicate search in linear time.
 * Shingles: the text is lowercased and split into runs of letters/digits; each shingle is 3 consecutive words
 * (a text of fewer words is one shingle). Candidates from the index are then checked with the exact Jaccard
 * similarity of the shingle sets, so the threshold is exact, not an estimate.
 */
const SHINGLE_WORDS = 3;
const BANDS = 16;
const ROWS_PER_BAND = 6;
export const SIGNATURE_LENGTH = BANDS * ROWS_PER_BAND;

const WORD = /[\p{L}\p{N}]+/gu;

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Word hashes of a text that is all ASCII: the regex path's result, without lowercasing or slicing the text. */
function asciiWordHashes(text: string): number[] {
  const words: number[] = [];
  let h = 0x811c9dc5;
  let inWord = false;
  for (let i = 0; i <= text.length; i++) {
    let c = i < text.length ? text.charCodeAt(i) : 0;
    if (c >= 65 && c <= 90) c += 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      h = Math.imul(h ^ c, 0x01000193);
      inWord = true;
    } else if (inWord) {
      words.push(h >>> 0);
      [h, inWord] = [0x811c9dc5, false];
    }
  }
  return words;
}

const NON_ASCII = /[\u0080-\uffff]/;

/** The distinct shingle hashes of a text, sorted. */
export function shingleSet(text: string): Uint32Array {
  const words = NON_ASCII.test(text) ? (text.toLowerCase().match(WORD) ?? []).map(hashString) : asciiWordHashes(text);
  if (words.length < SHINGLE_WORDS) return Uint32Array.of(words.reduce((h, w) => mix(h ^ w), 0x9e3779b9));
  const hashes = new Uint32Array(words.length - SHINGLE_WORDS + 1);
  for (let i = 0; i < hashes.length; i++) hashes[i] = mix(mix(mix(words[i]) ^ words[i + 1]) ^ words[i + 2]);
  hashes.sort();
  let distinct = 0;
  for (let i = 0; i < hashes.length; i++) if (i === 0 || hashes[i] !== hashes[i - 1]) hashes[distinct++] = hashes[i];
  return hashes.slice(0, distinct);
}

/** Exact Jaccard similarity of two sorted shingle sets. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  const union = a.length + b.length - common;
  return union === 0 ? 1 : common / union;
}

/** Hash function k of the signature: x ↦ (multipliers[k]·x + offsets[k]) mod 2³². */
export const MINHASH_FAMILY = {
  multipliers: Uint32Array.from({ length: SIGNATURE_LENGTH }, (_, k) => mix(k * 0x9e3779b9 + 1) | 1),
  offsets: Uint32Array.from({ length: SIGNATURE_LENGTH }, (_, k) => mix(k * 0x85ebca6b + 7)),
};

/**
 * MinHash signature: per hash function, the minimum over the shingles. The shingle hashes are already mixed, so
 * each function is a cheap multiply-add (a universal family mod 2³²); exact verification covers its bias.
 */
export function signature(shingles: Uint32Array): Uint32Array {
  const sig = new Uint32Array(SIGNATURE_LENGTH);
  for (let k = 0; k < SIGNATURE_LENGTH; k++) {
    // Unsigned minimum as a signed one: adding 2³¹ (the offset's top bit flipped) maps unsigned order onto int32's.
    const multiplier = MINHASH_FAMILY.multipliers[k] | 0;
    const offset = (MINHASH_FAMILY.offsets[k] ^ 0x80000000) | 0;
    let min = 0x7fffffff;
    for (let s = 0; s < shingles.length; s++) {
      const h = (Math.imul(shingles[s], multiplier) + offset) | 0;
      if (h < min) min = h;
    }
    sig[k] = (min ^ 0x80000000) >>> 0;
  }
  return sig;
}

/**
 * Band buckets: two signatures that agree on every row of some band become candidates. A band is keyed by a
 * 30-bit hash of its rows (a small integer, which a Map holds without allocating), and a bucket of one id holds
 * the id itself (most do): a few dozen bytes per record and band. A collision only adds a candidate, which the
 * exact Jaccard check then rejects.
 */
export class LshIndex {
  private readonly buckets: Array<Map<number, number | number[]>> = Array.from({ length: BANDS }, () => new Map());

  private static bandKey(sig: Uint32Array, band: number): number {
    let h = 0x2545f491;
    for (let r = band * ROWS_PER_BAND; r < (band + 1) * ROWS_PER_BAND; r++) h = mix(h ^ sig[r]);
    return h & 0x3fffffff;
  }

  add(id: number, sig: Uint32Array): void {
    for (let b = 0; b < BANDS; b++) {
      const key = LshIndex.bandKey(sig, b);
      const bucket = this.buckets[b].get(key);
      if (bucket === undefined) this.buckets[b].set(key, id);
      else if (typeof bucket === "number") this.buckets[b].set(key, [bucket, id]);
      else bucket.push(id);
    }
  }

  /** Ids sharing at least one band with the signature, in insertion order. */
  candidates(sig: Uint32Array): number[] {
    const found = new Set<number>();
    for (let b = 0; b < BANDS; b++) {
      const bucket = this.buckets[b].get(LshIndex.bandKey(sig, b));
      if (typeof bucket === "number") found.add(bucket);
      else for (const id of bucket ?? []) found.add(id);
    }
    return [...found].sort((x, y) => x - y);
  }
}
