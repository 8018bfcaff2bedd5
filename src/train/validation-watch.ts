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
 * Overfitting: the last two evaluations both came after the best one, with validation loss above the best while
 * training loss fell below its value at the best evaluation. Returns the step where it began (the best
 * evaluation's step), or undefined. Comparing with the best point, not step to step, keeps noise out.
 */
export function overfittingStart(state: WatchState): number | undefined {
  const h = state.history;
  const bestIndex = h.findIndex((p) => p.step === state.best?.step);
  if (bestIndex < 0 || h.length - bestIndex < 3) return undefined;
  const best = h[bestIndex];
  const diverging = h.slice(-2).every((p) => p.valLoss > best.valLoss && p.trainLoss < best.trainLoss);
  return diverging ? best.step : undefined;
}
