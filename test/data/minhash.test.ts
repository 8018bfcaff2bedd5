// MinHash building blocks against independent facts: the ASCII fast path of shingleSet against its general
// (Unicode regex) path, and signatures against the definition (per hash function, the minimum over the set).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { jaccard, MINHASH_FAMILY, shingleSet, signature, SIGNATURE_LENGTH } from "../../src/data/minhash.js";

const asciiText = fc.string({ unit: fc.constantFrom(..."aZ09 .,-_'\n\tQuickBROWNfox12"), maxLength: 200 });

test("shingleSet: an ASCII text gives the same shingles on its fast path as on the Unicode path", () => {
  // " —" (an em dash after a space) is a word boundary that adds no word, and sends the text down the regex path.
  fc.assert(
    fc.property(asciiText, (text) => {
      assert.deepEqual([...shingleSet(text)], [...shingleSet(`${text} \u2014`)]);
    }),
    { numRuns: 400 },
  );
});

test("shingleSet: case and punctuation do not matter; word order does; sets are sorted and distinct", () => {
  assert.deepEqual([...shingleSet("The quick, brown FOX jumps")], [...shingleSet("the quick brown fox... jumps!")]);
  assert.notDeepEqual([...shingleSet("the quick brown fox jumps")], [...shingleSet("quick the brown fox jumps")]);
  const repeated = shingleSet("a b c a b c a b c");
  assert.equal(repeated.length, 3); // "a b c", "b c a", "c a b"
  assert.ok(repeated.every((h, i) => i === 0 || repeated[i - 1] < h));
  assert.equal(shingleSet("").length, 1); // a text of fewer than 3 words is one shingle
  assert.equal(jaccard(shingleSet("x y"), shingleSet("X, Y")), 1);
});

test("signature: per hash function k, the minimum over the set of (multiplier_k·x + offset_k) mod 2³²", () => {
  const { multipliers, offsets } = MINHASH_FAMILY;
  // Exact in float64: the product of two values below 2³² is below 2⁶⁴ but may round, so it is split in 16-bit halves.
  const hash = (k: number, x: number) => (((((x >>> 16) * multipliers[k]) % 2 ** 16) * 2 ** 16 + (x & 0xffff) * multipliers[k] + offsets[k]) % 2 ** 32);
  fc.assert(
    fc.property(fc.uniqueArray(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 40 }), (values) => {
      const expected = Array.from({ length: SIGNATURE_LENGTH }, (_, k) => Math.min(...values.map((x) => hash(k, x))));
      assert.deepEqual([...signature(Uint32Array.from(values).sort())], expected);
    }),
    { numRuns: 200 },
  );
});
