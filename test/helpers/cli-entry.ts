// Runs the CLI from source (through tsx) in a child process, for tests that need a real process (signals, exit codes).
import { main } from "../../src/cli/main.js";

await main(process.argv);
