import { AtomicFileWriter, writeAll } from "../util/atomic-write.js";

type TokenRecord = { inputIds: readonly number[] | Int32Array; labels: readonly number[] | Int32Array };

/**
 * Prepared JSONL ({"input_ids", "labels"} per line) written as records come, in ~1 MiB writes (one write per
 * record would dominate for short records), under a temporary name until commit() puts it in place.
 */
export class PreparedJsonlWriter {
  private readonly file: AtomicFileWriter;
  private pending: string[] = [];
  private size = 0;

  constructor(target: string) {
    this.file = new AtomicFileWriter(target);
  }

  add(e: TokenRecord): void {
    const line = `{"input_ids":[${e.inputIds.join(",")}],"labels":[${e.labels.join(",")}]}\n`;
    this.pending.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }

  commit(): void {
    this.flush();
    this.file.commit();
  }

  abort(): void {
    this.file.abort();
  }

  private flush(): void {
    writeAll(this.file.fd, Buffer.from(this.pending.join(""), "utf8"));
    this.pending = [];
    this.size = 0;
  }
}

/** Writes token records as prepared JSONL, atomically. */
export function writePreparedJsonl(target: string, examples: Iterable<TokenRecord>): void {
  const writer = new PreparedJsonlWriter(target);
  try {
    for (const e of examples) writer.add(e);
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}
