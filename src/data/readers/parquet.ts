import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { InputError } from "../../util/errors.js";
import type { RawRow } from "../types.js";

/** Rows decoded per read, so a large file is never materialized whole. */
const BATCH_ROWS = 10_000;

/**
 * Every column chunk's path must name an element of the schema. hyparquet resolves these paths while it starts the
 * column reads of a row group: a damaged path throws midway, and the reads already started then reject unobserved
 * (an unhandledRejection that ends the process). Checked here first, the same damage is an InputError.
 */
function checkColumnPaths(metadata: FileMetaData, file: string): void {
  let tree: ReturnType<typeof parquetSchema>;
  try {
    tree = parquetSchema(metadata);
  } catch (err) {
    throw new InputError(`not a readable Parquet file: ${(err as Error).message}`, { file });
  }
  for (const group of metadata.row_groups) {
    for (const column of group.columns) {
      let node: typeof tree | undefined = tree;
      for (const part of column.meta_data?.path_in_schema ?? []) node = node?.children.find((c) => c.element.name === part);
      if (!node) throw new InputError(`not a readable Parquet file: column ${column.meta_data?.path_in_schema.join(".")} is not in the schema`, { file });
    }
  }
}

/** A Parquet file (any codec hyparquet-compressors handles), row by row; "line" is the 1-based row number. */
export async function* readParquet(file: string): AsyncGenerator<RawRow> {
  const buffer = await asyncBufferFromFile(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new InputError(`not a readable Parquet file: ${(err as Error).message}`, { file });
  }
  checkColumnPaths(metadata, file);
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
