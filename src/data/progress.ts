/**
 * Progress of `data check` / `data prepare`, for a caller to show: rows read so far (the total is not known before
 * the end of the files), then records tokenized out of the total with the tokens they hold.
 */
export type DataProgressEvent =
  | { phase: "read"; records: number; done: boolean }
  | { phase: "tokenize"; records: number; total: number; tokens: number };

export type DataProgressListener = (event: DataProgressEvent) => void;
