import type { ExtractionMetrics } from "./metrics.js";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A table of the demo's metrics, one row per system (base, baseline, adapter), one column per measure. */
export function metricsTable(rows: ReadonlyArray<{ label: string; metrics: ExtractionMetrics }>): string {
  const keys = Object.keys(rows[0]?.metrics.fields ?? {});
  const header = ["", "JSON valid", "exact", ...keys];
  const body = rows.map(({ label, metrics: m }) => [label, pct(m.jsonValid), pct(m.exactMatch), ...keys.map((k) => pct(m.fields[k]))]);
  const all = [header, ...body];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  return all.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}
