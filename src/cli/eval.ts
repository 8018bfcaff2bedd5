import type { Command } from "commander";
import path from "node:path";
import { loadTokenizer } from "../tokenizer/index.js";
import { isPreparedFolder, readPreparedFile } from "../data/index.js";
import { evaluateGenerations, evaluateLoss, summarizeScores } from "../train/index.js";
import type { ModelFlags } from "./model-flags.js";
import { loadModelFromFlags, withModelFlags } from "./model-flags.js";
import { numberOption } from "./number-option.js";

interface EvalFlags extends ModelFlags {
  data: string;
  json?: boolean;
  generate?: boolean;
  maxNewTokens: number;
}

export function registerEval(program: Command): void {
  const command = program
    .command("eval")
    .description("loss and perplexity of a model (with an optional adapter) on prepared data; --generate adds task metrics");
  withModelFlags(command, "Hugging Face model folder")
    .requiredOption("--data <file|dir>", "prepared JSONL ({input_ids, labels} per line) or a `data prepare` folder (val.jsonl)")
    .option("--json", "print one JSON report, with per-record losses")
    .option("--generate", "greedy generations for each prompt: exact match, JSON validity and field accuracy")
    .option("--max-new-tokens <n>", "most tokens per generation", numberOption("--max-new-tokens", { min: 1, integer: true }), 128)
    .action(async (flags: EvalFlags) => {
      const model = loadModelFromFlags(flags);
      const file = isPreparedFolder(flags.data) ? path.join(flags.data, "val.jsonl") : flags.data;
      const records = await readPreparedFile(file, model.config.vocabSize);
      const loss = evaluateLoss(model, records, file);
      const report: Record<string, unknown> = { data: file, records: records.length, targets: loss.targets, loss: loss.loss, perplexity: loss.perplexity };
      if (flags.generate) {
        const tokenizer = loadTokenizer(flags.model);
        const results = evaluateGenerations(model, records, (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }), {
          maxNewTokens: flags.maxNewTokens,
          eosTokenIds: [...new Set([...model.eosTokenIds, ...tokenizer.endOfTurnTokenIds])],
        });
        report.generation = summarizeScores(results);
        if (flags.json) report.generations = results;
      }
      if (flags.json) {
        report.perRecord = loss.perRecord;
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(`${file}: ${records.length} records, ${loss.targets} counted targets`);
      console.log(`loss ${loss.loss.toFixed(4)}  perplexity ${loss.perplexity.toFixed(2)}`);
      const g = report.generation as ReturnType<typeof summarizeScores> | undefined;
      if (g) {
        console.log(`exact match ${(100 * g.exactMatch).toFixed(1)}% of ${g.records}`);
        if (g.jsonRecords > 0) console.log(`JSON: ${(100 * g.jsonValid).toFixed(1)}% parse, ${(100 * g.fieldAccuracy).toFixed(1)}% of fields match`);
      }
    });
}
