/**
 * A step-scoped buffer arena: the f32 buffers a training step allocates (activations, gradients of activations,
 * scratch) are handed back at the end of the step and reused by the next one, so after the first step no fresh
 * pages are touched (a fresh multi-MB buffer page-faults on first write, every step). See docs/performance.md.
 *
 * While `run(fn)` is active, every f32 `Tensor.zeros` / `Tensor.empty` takes its buffer from the arena; when `fn`
 * returns, all of them are free again. Nothing made inside `run` may outlive it: tensors that persist (LoRA
 * parameters and gradients, optimizer state, KV caches) must be created outside. Buffers are grouped in size
 * classes (1/8 octave), so steps of somewhat different lengths share them too.
 */
export class StepArena {
  /** Free buffers per size class, each the full class length, with the outermost run that last used it. */
  private readonly free = new Map<number, FreeBuffer[]>();
  /** Buffers handed out in the current run, with their class. */
  private readonly inUse: Array<[number, Float32Array]> = [];
  private held = 0;
  /** Outermost runs so far, and the most bytes one of them used. */
  private runs = 0;
  private largestRunBytes = 0;
  /** Buffers this arena allocated (a later run that allocates none touched no fresh pages for its tensors). */
  allocations = 0;

  readonly maxBytes: number;
  private readonly poison: boolean;

  /**
   * @param options.maxBytes What the arena may hold in all; a step that asks for more gets fresh
   *   (garbage-collected) buffers for the rest, as without an arena. Bounds what a long sequence would keep.
   * @param options.poison Fill every buffer with NaN when its run ends (for tests): a tensor read after its step,
   *   or a kernel output left partly unwritten, then shows as NaN instead of as stale values.
   */
  constructor(options: { maxBytes?: number; poison?: boolean } = {}) {
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.poison = options.poison ?? false;
  }

  /** Bytes of the buffers this arena holds (free or in use). */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * Runs `fn` with this arena active, then frees every buffer handed out during it (a nested run frees only its
   * own). `fn` must return no tensor made inside.
   */
  run<T>(fn: () => T): T {
    const previous = current.arena;
    const mark = this.inUse.length;
    if (mark === 0) this.runs++;
    current.arena = this;
    try {
      return fn();
    } finally {
      current.arena = previous;
      const used = this.inUse.splice(mark);
      for (const [cls, buffer] of used) {
        if (this.poison) buffer.fill(NaN);
        this.freeList(cls).push({ buffer, run: this.runs });
      }
      if (mark === 0) this.trim(used.reduce((bytes, [cls]) => bytes + cls * 4, 0));
    }
  }

  /**
   * Steps of varying length leave buffers of classes the next steps may not ask for: once the arena holds more than
   * TRIM_SLACK × the largest step's bytes, the buffers unused for longest are let go (the garbage collector frees
   * them), so it keeps about one large step's worth rather than one buffer set per length seen.
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
      this.held += cls * 4;
      this.allocations++;
    }
    this.inUse.push([cls, buffer]);
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

/** How much more than its largest step the arena may hold before it lets idle buffers go. */
const TRIM_SLACK = 1.25;

/** The arena of the run in progress (one process-wide: training steps run one at a time, synchronously). */
const current: { arena?: StepArena } = {};

/** An f32 buffer from the active arena, or undefined when none is active (or it is full). */
export function arenaBuffer(length: number, zero: boolean): Float32Array | undefined {
  return current.arena?.take(length, zero);
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
