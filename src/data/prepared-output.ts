import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { TokenizedExample } from "../tokenizer/index.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { InputError } from "../util/errors.js";
import { PreparedJsonlWriter } from "./prepared-writer.js";

export const OUTPUT_FILES = ["train.jsonl", "val.jsonl"];

/**
 * The outputs of `data prepare`: train.jsonl and val.jsonl written as examples come, under temporary names, then
 * put in place by commit() followed by report.json. The old report.json goes first: it is what vouches for the set
 * (the cache key), so a crash between the files never leaves a report over a half-replaced set; a failed write
 * removes it too. A full disk is an InputError naming the folder, and no temporary file is left behind.
 */
export class PreparedOutput {
  private readonly writers: Partial<Record<"train" | "val", PreparedJsonlWriter>> = {};
  private readonly reportPath: string;

  constructor(private readonly outDir: string) {
    this.reportPath = path.join(outDir, "report.json");
    this.guard(() => {
      mkdirSync(outDir, { recursive: true });
      this.writers.train = new PreparedJsonlWriter(path.join(outDir, "train.jsonl"));
      this.writers.val = new PreparedJsonlWriter(path.join(outDir, "val.jsonl"));
    });
  }

  add(split: "train" | "val", example: TokenizedExample): void {
    this.guard(() => this.writers[split]!.add(example));
  }

  commit(report: object): void {
    this.guard(() => {
      rmSync(this.reportPath, { force: true });
      this.writers.train!.commit();
      this.writers.val!.commit();
      writeFileAtomic(this.reportPath, `${JSON.stringify(report, null, 2)}\n`);
    });
  }

  /** Removes the temporary files; the folder keeps what it held. */
  abort(): void {
    for (const writer of Object.values(this.writers)) writer.abort();
  }

  private guard(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.abort();
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code !== "string") throw err;
      try {
        rmSync(this.reportPath, { force: true });
      } catch {
        // The folder cannot be written at all: there is no report to withdraw.
      }
      throw new InputError(`could not write the prepared data: ${(err as Error).message}`, { file: this.outDir }, {
        hint: "free some disk space (or fix the folder's permissions) and run again; no file was left half-written",
        cause: err,
      });
    }
  }
}
