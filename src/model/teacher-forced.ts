// Teacher-forced evaluation of one window of tokens with the reference model: the main
// model's log-likelihood of each next token, and for each MTP depth k whether module k's
// argmax at position i equals the main model's argmax at position i + k (both predict
// token i + k + 1). That agreement is the acceptance a greedy speculative decoder sees
// when every earlier draft was right. Also, per depth, how often the main model's token is among
// module k's top 1..COVERAGE_RANKS: what a draft tree with that many candidates a depth would see.
import { argmax, logSumExp } from './ops.ts';
import { ReferenceModel } from './reference.ts';

export interface WindowOutputs {
  /** Main model logits per position (row i predicts token i + 1). */
  mainLogits: Float32Array[];
  /** mtpLogits[k - 1][i]: module k at position i, predicting token i + k + 1. */
  mtpLogits: Float32Array[][];
}

/** Runs the main model and every MTP module over `ids` from an empty context. */
export function forwardWindow(model: ReferenceModel, ids: readonly number[]): WindowOutputs {
  if (ids.length > model.config.max_seq_len)
    throw new RangeError(`window of ${ids.length} tokens exceeds the context (${model.config.max_seq_len})`);
  const cache = model.newCache();
  let hidden: Float32Array[] = [];
  const mainLogits: Float32Array[] = [];
  ids.forEach((token, pos) => {
    const out = model.main(cache, token, pos);
    hidden.push(out.hidden);
    mainLogits.push(out.logits);
  });
  const mtpLogits: Float32Array[][] = [];
  for (let k = 1; k <= model.config.mtp_depth; k++) {
    const next: Float32Array[] = [];
    const logits: Float32Array[] = [];
    for (let i = 0; i + k < ids.length; i++) {
      const out = model.mtp(k, cache, hidden[i], ids[i + k], i);
      next.push(out.hidden);
      logits.push(out.logits);
    }
    hidden = next;
    mtpLogits.push(logits);
  }
  return { mainLogits, mtpLogits };
}

export interface EvalTotals {
  tokens: number;
  /** Sum of -log p(next token) over predicted positions, and their count. */
  nll: number;
  predictions: number;
  /** Per depth: positions where module k agreed with the main model, and positions compared. */
  agree: number[];
  compared: number[];
  /** covered[k - 1][j]: positions where the main model's token was among module k's top j + 1. */
  covered: number[][];
}

/** Ranks the coverage is counted for: top 1 to top 4. */
export const COVERAGE_RANKS = 4;

export function emptyTotals(depth: number): EvalTotals {
  return {
    tokens: 0,
    nll: 0,
    predictions: 0,
    agree: new Array(depth).fill(0),
    compared: new Array(depth).fill(0),
    covered: Array.from({ length: depth }, () => new Array(COVERAGE_RANKS).fill(0)),
  };
}

/**
 * The 0-based rank of `token` in `logits`, ties ordered by index as argmax breaks them (rank 0 is
 * the argmax): the logits above it, and the equal ones at a lower index.
 */
export function rankOf(logits: ArrayLike<number>, token: number): number {
  const v = logits[token];
  let rank = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i] > v || (logits[i] === v && i < token)) rank++;
  return rank;
}

/** Adds one window's figures to `totals`. */
export function evaluateWindow(model: ReferenceModel, ids: readonly number[], totals: EvalTotals): EvalTotals {
  const { mainLogits, mtpLogits } = forwardWindow(model, ids);
  const mainArgmax = mainLogits.map(argmax);
  totals.tokens += ids.length;
  for (let i = 0; i + 1 < ids.length; i++) {
    totals.nll += logSumExp(mainLogits[i]) - mainLogits[i][ids[i + 1]];
    totals.predictions++;
  }
  mtpLogits.forEach((rows, k0) => {
    rows.forEach((logits, i) => {
      const want = mainArgmax[i + k0 + 1];
      if (argmax(logits) === want) totals.agree[k0]++;
      const rank = rankOf(logits, want);
      for (let j = rank; j < COVERAGE_RANKS; j++) totals.covered[k0][j]++;
      totals.compared[k0]++;
    });
  });
  return totals;
}

export interface EvalReport {
  tokens: number;
  main_ppl: number;
  acceptance: Record<string, number>;
  /** Per depth: the main model's token among module k's top 1..COVERAGE_RANKS (top 1 is the acceptance). */
  top_k_coverage: Record<string, number[]>;
}

export function report(totals: EvalTotals): EvalReport {
  const acceptance: Record<string, number> = {};
  const coverage: Record<string, number[]> = {};
  totals.agree.forEach((a, k0) => {
    const n = totals.compared[k0];
    acceptance[String(k0 + 1)] = n ? a / n : NaN;
    coverage[String(k0 + 1)] = totals.covered[k0].map((c) => (n ? c / n : NaN));
  });
  return { tokens: totals.tokens, main_ppl: Math.exp(totals.nll / totals.predictions), acceptance, top_k_coverage: coverage };
}
