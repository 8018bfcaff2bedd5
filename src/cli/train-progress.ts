import cliProgress from "cli-progress";
import type { EvalEvent, StepEvent } from "../train/index.js";

/** Shows training progress: a bar on a terminal, plain periodic lines otherwise (logs, CI). */
export class TrainProgress {
  private bar?: cliProgress.SingleBar;
  private tokens = 0;
  private firstStepAt?: number;

  constructor(
    private readonly loggingSteps: number,
    private readonly tty = Boolean(process.stderr.isTTY),
  ) {}

  step(e: StepEvent): void {
    this.firstStepAt ??= Date.now() - 1;
    this.tokens += e.tokens;
    const tokensPerSecond = this.tokens / ((Date.now() - this.firstStepAt) / 1000);
    const payload = { loss: e.loss.toFixed(4), lr: e.learningRate.toExponential(2), tps: tokensPerSecond.toFixed(0) };
    if (this.tty) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          { format: "step {value}/{total} |{bar}| loss {loss} · lr {lr} · {tps} tok/s · ETA {eta_formatted}", stream: process.stderr, etaBuffer: 20 },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(e.totalSteps, e.step - 1, payload);
      }
      this.bar.update(e.step, payload);
    } else if (e.step % this.loggingSteps === 0 || e.step === e.totalSteps) {
      const eta = ((e.totalSteps - e.step) * (Date.now() - this.firstStepAt)) / Math.max(1, e.step) / 1000;
      console.error(`step ${e.step}/${e.totalSteps}  loss ${payload.loss}  lr ${payload.lr}  ${payload.tps} tok/s  ETA ${eta.toFixed(0)}s`);
    }
  }

  evaluation(e: EvalEvent): void {
    this.log(`eval at step ${e.step}: val loss ${e.valLoss.toFixed(4)}, perplexity ${e.perplexity.toFixed(2)}${e.isBest ? " (best so far)" : ""}`);
  }

  log(line: string): void {
    if (this.bar) this.bar.stop();
    this.bar = undefined;
    console.error(line);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
