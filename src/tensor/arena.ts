/**
 * A step-scoped buffer arena: the f32 buffers a training step allocates (activations, gradients of activations,
 * scratch) are handed back at the end of the step and reused by the next one, so after the first step no fresh
 * pages are touched (a fresh multi-MB buffer page-faults on first write, every step). See docs/performance.md.
 *
 * While `run(fn)` is active, every f32 `Tensor.zeros` / `Tensor.empty` takes its buffer from the arena; when `fn`
 * returns, all of them are free again. Nothing made inside `run` may outlive it: tensors that persist (LoRA
 * parameters and gradients, optimizer state, KV caches) must be created outside. Code that knows a tensor is dead
 * before the step ends hands it back with `releaseTensors`, so later requests of the same step reuse its buffer
 * (the model does so layer by layer in backward). Buffers are grouped in size classes (1/8 octave), so steps of
 * somewhat different lengths share them too.
 */
export class StepArena {
  /** Free buffers per size class, each the full class length, with the outermost run that last used it. */
  private readonly free = new Map<number, FreeBuffer[]>();
  /** Buffers handed out and not yet returned, by their storage, with the run depth that took them. */
  private readonly inUse = new Map<ArrayBufferLike, InUse>();
  /** The storage of every buffer this arena made: a release of one that is not in use is a double release. */
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private held = 0;
  private depth = 0;
  /** Bytes handed out and not handed back yet. */
  private busy = 0;
  /** Outermost runs so far, and the most bytes one of them had in use at once. */
  private runs = 0;
  private largestRunBytes = 0;
  private runPeak = 0;
  /** Buffers this arena allocated (a later run that allocates none touched no fresh pages for its tensors). */
  allocations = 0;
  /** The most bytes in use at once during the last outermost run (its high-water mark). */
  lastRunPeakBytes = 0;

  readonly maxBytes: number;
  private readonly poison: boolean;

  /**
   * @param options.maxBytes What the arena may hold in all; a step that asks for more gets fresh
   *   (garbage-collected) buffers for the rest, as without an arena. Bounds what a long sequence would keep.
   * @param options.poison Fill every buffer with NaN when it is handed back (released, or its run ends; for tests):
   *   a tensor read after its release or its step, or a kernel output left partly unwritten, then shows as NaN
   *   (or, once the buffer serves a later request, as that request's values) instead of as its own values.
   */
  constructor(options: { maxBytes?: number; poison?: boolean } = {}) {
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.poison = options.poison ?? false;
  }

  /** Bytes of the buffers this arena holds (free or in use). */
  get heldBytes(): number {
    return this.held;
  }

  /** Bytes of the buffers handed out and not yet handed back. */
  get inUseBytes(): number {
    return this.busy;
  }

  /**
   * Runs `fn` with this arena active, then frees every buffer handed out during it and not released yet (a nested
   * run frees only its own). `fn` must return no tensor made inside.
   */
  run<T>(fn: () => T): T {
    const previous = current.arena;
    const depth = ++this.depth;
    if (depth === 1) {
      this.runs++;
      this.runPeak = this.busy;
    }
    current.arena = this;
    try {
      return fn();
    } finally {
      current.arena = previous;
      for (const [storage, entry] of this.inUse) if (entry.depth >= depth) this.giveBack(storage, entry);
      this.depth--;
      if (depth === 1) {
        this.lastRunPeakBytes = this.runPeak;
        this.trim(this.runPeak);
      }
    }
  }

  /**
   * Hands a tensor's buffer back before its run ends, so a later request of the same run can reuse it. The caller
   * promises that nothing reads it again (poison mode makes a broken promise show). `data` must be the whole
   * buffer as it was handed out (or a reshape of it), never a view of part of it; data that did not come from this
   * arena (fresh, or of another dtype) is left alone.
   */
  release(data: ArrayLike<number>): void {
    if (!(data instanceof Float32Array)) return;
    const entry = this.inUse.get(data.buffer);
    if (!entry) {
      if (this.owned.has(data.buffer)) throw new Error("StepArena.release: this buffer was already handed back");
      return;
    }
    if (data.byteOffset !== 0 || data.length !== entry.length) throw new Error("StepArena.release: a view of part of a buffer cannot be released");
    this.giveBack(data.buffer, entry);
  }

  private giveBack(storage: ArrayBufferLike, entry: InUse): void {
    this.inUse.delete(storage);
    this.busy -= entry.cls * 4;
    if (this.poison) entry.buffer.fill(NaN);
    this.freeList(entry.cls).push({ buffer: entry.buffer, run: this.runs });
  }

  /**
   * Steps of varying length leave buffers of classes the next steps may not ask for: once the arena holds more than
   * TRIM_SLACK × the largest step's high-water bytes, the buffers unused for longest are let go (the garbage
   * collector frees them), so it keeps about one large step's worth rather than one buffer set per length seen.
   */
  private trim(runBytes: number): void {
    this.largestRunBytes = Math.max(this.largestRunBytes, runBytes);
    const budget = TRIM_SLACK * this.largestRunBytes;
    if (this.held <= budget) return;
    const idle = [...this.free].flatMap(([cls, list]) => list.filter((f) => f.run < this.runs).map((f) => ({ cls, f })));
    idle.sort((a, b) => a.f.run - b.f.run || b.cls - a.cls);
    const dropped = new Set<FreeBuffer>();
    for (const { cls, f } of idle) {
      if (this.held <= budget) break;
      dropped.add(f);
      this.held -= cls * 4;
    }
    for (const [cls, list] of this.free) this.free.set(cls, list.filter((f) => !dropped.has(f)));
  }

  /** A buffer of `length` floats (zeros when `zero`), or undefined when the arena is full. */
  take(length: number, zero: boolean): Float32Array | undefined {
    const wanted = sizeClass(length);
    let cls = wanted;
    let buffer = this.freeList(cls).pop()?.buffer;
    if (!buffer) {
      // Steps of varying length ask for ever-new classes; a free buffer of a class up to twice as large serves
      // instead of a fresh one, so the arena holds about one step's worth of buffers, not one per length seen.
      cls = this.smallestFreeClass(wanted, 2 * wanted) ?? wanted;
      buffer = this.freeList(cls).pop()?.buffer;
    }
    if (buffer) {
      if (zero) buffer.fill(0, 0, length);
    } else {
      if (this.held + cls * 4 > this.maxBytes) return undefined;
      buffer = new Float32Array(cls);
      this.owned.add(buffer.buffer);
      this.held += cls * 4;
      this.allocations++;
    }
    this.inUse.set(buffer.buffer, { cls, buffer, length, depth: this.depth });
    this.busy += cls * 4;
    this.runPeak = Math.max(this.runPeak, this.busy);
    return length === cls ? buffer : buffer.subarray(0, length);
  }

  /** The smallest class in [from, to] with a free buffer. */
  private smallestFreeClass(from: number, to: number): number | undefined {
    let best: number | undefined;
    for (const [cls, list] of this.free) if (list.length > 0 && cls >= from && cls <= to && (best === undefined || cls < best)) best = cls;
    return best;
  }

  private freeList(cls: number): FreeBuffer[] {
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    return list;
  }
}

interface FreeBuffer {
  buffer: Float32Array;
  run: number;
}

interface InUse {
  cls: number;
  buffer: Float32Array;
  /** The length it was handed out with: only a tensor of that whole length may release it. */
  length: number;
  depth: number;
}

/** How much more than its largest step the arena may hold before it lets idle buffers go. */
const TRIM_SLACK = 1.25;

/** The arena of the run in progress (one process-wide: training steps run one at a time, synchronously). */
const current: { arena?: StepArena } = {};

/** An f32 buffer from the active arena, or undefined when none is active (or it is full). */
export function arenaBuffer(length: number, zero: boolean): Float32Array | undefined {
  return current.arena?.take(length, zero);
}

/**
 * Hands the tensors' buffers back to the active arena as soon as they are dead, so later requests of the same step
 * reuse them (StepArena.release). Without an active arena, or for tensors not from it, it does nothing.
 */
export function releaseTensors(...tensors: ReadonlyArray<{ readonly data: ArrayLike<number> } | undefined>): void {
  const arena = current.arena;
  if (!arena) return;
  for (const t of tensors) if (t) arena.release(t.data);
}

/**
 * The class a length falls in: the length rounded up to 16 floats (64 bytes) below 4096 floats, above that to
 * the next of 8 steps per power of two (at most 12.5% unused).
 */
export function sizeClass(length: number): number {
  if (length <= 4096) return Math.max(16, Math.ceil(length / 16) * 16);
  const step = 2 ** (Math.floor(Math.log2(length)) - 3);
  return Math.ceil(length / step) * step;
}
