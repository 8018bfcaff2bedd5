import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { InputError } from "../../util/errors.js";
import type { RawRow } from "../types.js";

/** Rows decoded per read, so a large file is never materialized whole. */
const BATCH_ROWS = 10_000;

/** A Parquet file (any codec hyparquet-compressors handles), row by row; "line" is the 1-based row number. */
export async function* readParquet(file: string): AsyncGenerator<RawRow> {
  const buffer = await asyncBufferFromFile(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new InputError(`not a readable Parquet file: ${(err as Error).message}`, { file });
  }
  const total = Number(metadata.num_rows);
  for (let start = 0; start < total; start += BATCH_ROWS) {
    const end = Math.min(total, start + BATCH_ROWS);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, compressors, rowStart: start, rowEnd: end });
    } catch (err) {
      throw new InputError(`cannot decode rows ${start + 1}–${end}: ${(err as Error).message}`, { file });
    }
    for (let i = 0; i < rows.length; i++) yield { file, line: start + i + 1, value: rows[i] };
  }
}
