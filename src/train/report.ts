import path from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import type { Plugin } from "chart.js";
import { Chart, registerables } from "chart.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { readMetricLines } from "./run-folder.js";
import type { TrainResult } from "./trainer.js";

Chart.register(...registerables);

interface TrainPoint {
  type: "train";
  step: number;
  loss: number;
  learning_rate: number;
  tokens_per_second: number;
}
interface EvalPoint {
  type: "eval";
  step: number;
  val_loss: number;
  perplexity: number;
}

export function readMetrics(outputDir: string): { train: TrainPoint[]; evals: EvalPoint[] } {
  const all = readMetricLines(outputDir).map((m) => m.record as unknown as TrainPoint | EvalPoint);
  return { train: all.filter((m): m is TrainPoint => m.type === "train"), evals: all.filter((m): m is EvalPoint => m.type === "eval") };
}

// PNGs have no page behind them: paint one.
const whiteBackground: Plugin<"line"> = {
  id: "whiteBackground",
  beforeDraw: (chart) => {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/** Training and validation loss against the optimizer step, as a PNG. */
export async function renderLossChart(train: readonly TrainPoint[], evals: readonly EvalPoint[], best?: { step: number; valLoss: number }): Promise<Buffer> {
  const canvas = createCanvas(900, 500);
  const chart = new Chart(canvas as unknown as ConstructorParameters<typeof Chart>[0], {
    type: "line",
    data: {
      datasets: [
        { label: "training loss", data: train.map((p) => ({ x: p.step, y: p.loss })), borderColor: "#1f77b4", pointRadius: 0, borderWidth: 2 },
        { label: "validation loss", data: evals.map((p) => ({ x: p.step, y: p.val_loss })), borderColor: "#d62728", pointRadius: 3, borderWidth: 2 },
        ...(best
          ? [{ label: `best (step ${best.step})`, data: [{ x: best.step, y: best.valLoss }], borderColor: "#2ca02c", backgroundColor: "#2ca02c", pointRadius: 7, showLine: false }]
          : []),
      ],
    },
    options: {
      responsive: false,
      animation: false,
      scales: { x: { type: "linear", title: { display: true, text: "optimizer step" } }, y: { title: { display: true, text: "loss" } } },
      plugins: { title: { display: true, text: "loraforge training run" } },
    },
    plugins: [whiteBackground],
  });
  const png = await canvas.encode("png");
  chart.destroy();
  return png;
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** Writes loss.png and a self-contained report.html (the chart inlined) into output_dir. */
export async function writeReport(outputDir: string, result: TrainResult, title: string): Promise<void> {
  const { train, evals } = readMetrics(outputDir);
  const png = await renderLossChart(train, evals, result.best);
  writeFileAtomic(path.join(outputDir, "loss.png"), png);
  const rows = evals
    .map((e) => `<tr${e.step === result.best?.step ? ' class="best"' : ""}><td>${e.step}</td><td>${e.val_loss.toFixed(4)}</td><td>${e.perplexity.toFixed(2)}</td></tr>`)
    .join("\n");
  const facts: Array<[string, string]> = [
    ["stopped", `${result.stoppedBy.replace("_", " ")} at step ${result.globalStep} of ${result.totalSteps}`],
    ["best validation loss", result.best ? `${result.best.valLoss.toFixed(4)} at step ${result.best.step}` : "no validation data"],
    ["overfitting", result.overfittingFrom === undefined ? "not detected" : `validation loss rose while training loss fell, from step ${result.overfittingFrom}`],
    ["final training loss", train.length ? train[train.length - 1].loss.toFixed(4) : "-"],
    ["adapter", result.adapterDir],
  ];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}tr.best{background:#e6f4e6}</style>
</head><body>
<h1>${escape(title)}</h1>
<table>${facts.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join("")}</table>
<p><img alt="training and validation loss" src="data:image/png;base64,${png.toString("base64")}" width="900"></p>
${evals.length ? `<h2>Evaluations</h2><table><tr><th>step</th><th>validation loss</th><th>perplexity</th></tr>\n${rows}\n</table>` : ""}
</body></html>
`;
  writeFileAtomic(path.join(outputDir, "report.html"), html);
}
