import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { Token } from "node-llama-cpp";
import { exportGguf } from "../../src/export/index.js";
import { GgufFile, GgufModel } from "../../src/gguf/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { smollm2Gguf } from "../support/real-model.js";
import { LLAMA2_TOKENIZER, TOKENIZER_CORPUS as CORPUS, TOKENIZERS, modelFolder } from "./fixtures.js";
import { loadGguf } from "./llama-cpp.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-export-tok-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Special tokens written in text are parsed by both sides (llama.cpp's special-token pass, HF added tokens). */
const CHAT = { "<|im_start|>": "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", "<|eot_id|>": "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" };

const FAMILIES = [
  { name: "Llama 2 (SentencePiece BPE → llama)", tokenizer: LLAMA2_TOKENIZER, model: "llama", pre: "default", chat: undefined },
  { name: "Llama 3.1 (llama-bpe)", tokenizer: path.join(TOKENIZERS, "tokenizer-llama3_1/models"), model: "gpt2", pre: "llama-bpe", chat: CHAT["<|eot_id|>"] },
  { name: "Qwen3 (qwen2)", tokenizer: path.join(TOKENIZERS, "tokenizer-qwen3/models"), model: "gpt2", pre: "qwen2", chat: CHAT["<|im_start|>"] },
  { name: "SmolLM2 (smollm), rebuilt from the real model's GGUF", tokenizer: "smollm2", model: "gpt2", pre: "smollm", chat: CHAT["<|im_start|>"] },
];

/** SmolLM2's tokenizer files as the GGUF reader rebuilds them (what `loraforge import` writes). */
function smollm2TokenizerDir(): string {
  const dir = path.join(tmp, "smollm2-tokenizer");
  fs.mkdirSync(dir, { recursive: true });
  const model = GgufModel.open(smollm2Gguf());
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(model.tokenizer.tokenizerJson));
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(model.tokenizer.tokenizerConfig));
  model.close();
  return dir;
}

describe("export gguf: llama.cpp tokenizes the exported GGUF as our tokenizer does the HF folder", () => {
  for (const f of FAMILIES) {
    it(f.name, async () => {
      const tokDir = f.tokenizer === "smollm2" ? smollm2TokenizerDir() : f.tokenizer;
      const dir = modelFolder(path.join(tmp, f.pre), { tokenizer: tokDir, tieWordEmbeddings: true });
      const out = path.join(tmp, `${f.pre}.gguf`);
      exportGguf({ model: dir, out, type: "q8_0" });
      const g = GgufFile.open(out);
      assert.equal(g.metadata.string("tokenizer.ggml.model"), f.model);
      assert.equal(g.metadata.string("tokenizer.ggml.pre"), f.pre);
      g.close();

      const ours = loadTokenizer(dir);
      const theirs = await loadGguf(out, { vocabOnly: true });
      try {
        const texts = f.chat ? [...CORPUS, f.chat] : CORPUS;
        for (const text of texts) {
          const want = ours.encode(text, { addSpecialTokens: false });
          assert.deepEqual(Array.from(theirs.tokenize(text, true)), want, JSON.stringify(text));
        }
        const withSpecial = ours.encode("Hello", { addSpecialTokens: true });
        const bos = theirs.tokens.shouldPrependBosToken && theirs.tokens.bos !== null ? [theirs.tokens.bos] : [];
        assert.deepEqual([...bos, ...theirs.tokenize("Hello", true)], withSpecial, "BOS added on both sides or on neither");
        assert.deepEqual(theirs.tokens.eos, ours.eosTokenIds[0] as Token);
        if (f.tokenizer === "smollm2") {
          // The real model's own GGUF (converted by llama.cpp) tokenizes the same way.
          const real = await loadGguf(smollm2Gguf(), { vocabOnly: true });
          for (const text of [...CORPUS, f.chat!]) assert.deepEqual(real.tokenize(text, true), theirs.tokenize(text, true), JSON.stringify(text));
          await real.dispose();
        }
      } finally {
        await theirs.dispose();
      }
    });
  }
});
