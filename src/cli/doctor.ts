import type { Command } from "commander";
import { nativeInfo } from "../tensor/index.js";
import { packageVersion } from "../util/package-info.js";

/** One line for `--version`: the version, kernel path, threads and build flags. */
export function versionLine(): string {
  const info = nativeInfo();
  return `loraforge ${packageVersion()} (kernels: ${info.isa}, ${info.threads} threads, ${info.compiler} ${info.buildFlags})`;
}

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("show the version, the kernel path in use, the thread count and the build flags")
    .option("--json", "print one JSON object")
    .action((opts: { json?: boolean }) => {
      const info = nativeInfo();
      const report = {
        version: packageVersion(),
        node: process.version,
        kernelPath: info.isa,
        kernelPathsAvailable: info.isas,
        threads: info.threads,
        compiler: info.compiler,
        buildFlags: info.buildFlags,
        env: {
          LORAFORGE_ISA: process.env.LORAFORGE_ISA ?? null,
          LORAFORGE_THREADS: process.env.LORAFORGE_THREADS ?? null,
        },
      };
      if (opts.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(`loraforge ${report.version} on Node ${report.node}`);
      console.log(`kernel path: ${report.kernelPath} (available: ${report.kernelPathsAvailable.join(", ")}; LORAFORGE_ISA forces one)`);
      console.log(`threads:     ${report.threads} (LORAFORGE_THREADS overrides)`);
      console.log(`build:       ${report.compiler} ${report.buildFlags}`);
    });
}
