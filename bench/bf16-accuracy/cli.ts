// The CLI from source (through tsx), so the benchmark measures this checkout rather than the last build in dist/.
import { main } from "../../src/cli/main.js";

await main(process.argv);
