/**
 * Watches validation loss: the best evaluation so far, early stopping with patience, and overfitting (validation
 * loss rising while training loss falls). Its state is plain data so checkpoints can store it.
 */
export interface EvalPoint {
  step: number;
  valLoss: number;
  /** Mean training loss over the steps since the previous evaluation. */
  trainLoss: number;
}

export interface WatchState {
  history: EvalPoint[];
  best?: { step: number; valLoss: number };
  /** Evaluations since the best one. */
  sinceBest: number;
}

export function newWatchState(): WatchState {
  return { history: [], sinceBest: 0 };
}

/** Records an evaluation; returns whether it is the new best. */
export function recordEval(state: WatchState, point: EvalPoint): boolean {
  state.history.push(point);
  if (!state.best || point.valLoss < state.best.valLoss) {
    state.best = { step: point.step, valLoss: point.valLoss };
    state.sinceBest = 0;
    return true;
  }
  state.sinceBest++;
  return false;
}

export function shouldStop(state: WatchState, patience: number | undefined): boolean {
  return patience !== undefined && state.sinceBest >= patience;
}

/**
 * Overfitting: after the best evaluation, validation loss went up at least twice in a row while training loss
 * kept going down. Returns the step where it began (the best evaluation's step), or undefined.
 */
export function overfittingStart(state: WatchState): number | undefined {
  const h = state.history;
  const bestIndex = h.findIndex((p) => p.step === state.best?.step);
  if (bestIndex < 0) return undefined;
  let rising = 0;
  for (let i = bestIndex + 1; i < h.length; i++) {
    if (h[i].valLoss > h[i - 1].valLoss && h[i].trainLoss < h[i - 1].trainLoss) rising++;
    else rising = 0;
    if (rising >= 2) return h[bestIndex].step;
  }
  return undefined;
}
