export type RecordStatus = "removed" | "train" | "val";
const CODES: readonly RecordStatus[] = ["removed", "train", "val"];

/** One byte per record read: left out, or the split it belongs to. Grows by doubling. */
export class RecordStatuses {
  private bytes = new Uint8Array(1024);
  length = 0;

  push(status: RecordStatus): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = CODES.indexOf(status);
  }

  get(i: number): RecordStatus {
    return CODES[this.bytes[i]];
  }

  /** Puts the k-th surviving record (0-based, in order) in validation when `isVal(k)`, in train otherwise. */
  markSurvivors(isVal: (k: number) => boolean): void {
    let k = 0;
    for (let i = 0; i < this.length; i++) if (this.bytes[i] !== 0) this.bytes[i] = isVal(k++) ? 2 : 1;
  }
}
