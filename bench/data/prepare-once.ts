// One `data prepare` in a process of its own, so its peak RSS (worker threads included) is the command's alone:
//   node --import tsx bench/data/prepare-once.ts INPUT MODEL_DIR OUT_DIR WORKERS
// Prints one JSON line: seconds, cpuSeconds, maxRssMb, peakRecordsHeld and the report.
import { prepareDataset } from "../../src/data/index.js";

const [input, modelDir, outDir, workers] = process.argv.slice(2);
const start = performance.now();
const { report, peakRecordsHeld } = await prepareDataset([input], { modelDir, outDir, workers: Number(workers), force: true, skipInvalid: true });
const cpu = process.cpuUsage();
const usage = process.resourceUsage();
console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: usage.maxRSS / 1024, peakRecordsHeld, report }));
