import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { nativeInfo } from "../../src/index.js";
import { runCli } from "../helpers/cli.js";

// The CPU's own report (Linux /proc/cpuinfo) is the independent reference for which paths may run.
function cpuFlags(): Set<string> {
  const text = readFileSync("/proc/cpuinfo", "utf8");
  const line = text.split("\n").find((l) => l.startsWith("flags"));
  return new Set((line ?? "").split(":")[1]?.trim().split(/\s+/) ?? []);
}

async function doctorUnder(isa: string): Promise<{ kernelPath: string; out: string }> {
  const { code, out } = await runCli(["doctor", "--json"], { LORAFORGE_ISA: isa });
  assert.equal(code, 0, out);
  const json = out.slice(out.indexOf("{"));
  return { kernelPath: (JSON.parse(json) as { kernelPath: string }).kernelPath, out };
}

describe("kernel path dispatch", () => {
  it("offers avx512 exactly when the CPU reports AVX-512 F/BW/VL/DQ and BF16 (and AVX2/FMA)", () => {
    const f = cpuFlags();
    const wantAvx2 = ["avx2", "fma", "f16c"].every((x) => f.has(x));
    const wantAvx512 = wantAvx2 && ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16"].every((x) => f.has(x));
    const { isas, isa } = nativeInfo();
    assert.equal(isas.includes("avx2"), wantAvx2);
    assert.equal(isas.includes("avx512"), wantAvx512);
    // Without LORAFORGE_ISA the best path wins.
    if (!process.env.LORAFORGE_ISA) assert.equal(isa, isas[isas.length - 1]);
  });

  it("LORAFORGE_ISA forces each available path, and falls back with a message otherwise", async () => {
    const { isas } = nativeInfo();
    for (const name of ["portable", "avx2", "avx512"]) {
      const { kernelPath, out } = await doctorUnder(name);
      if (isas.includes(name)) {
        assert.equal(kernelPath, name);
      } else {
        assert.equal(kernelPath, isas[isas.length - 1]);
        assert.match(out, new RegExp(`LORAFORGE_ISA=${name} but this CPU cannot run it`));
      }
    }
    const { kernelPath, out } = await doctorUnder("avx9000");
    assert.equal(kernelPath, isas[isas.length - 1]);
    assert.match(out, /unknown LORAFORGE_ISA=avx9000 \(expected portable\|avx2\|avx512\)/);
  });
});
