// Teacher-forced evaluation of one window of tokens with the reference model: the main
// model's log-likelihood of each next token, and for each MTP depth k whether module k's
// argmax at position i equals the main model's argmax at position i + k (both predict
// token i + k + 1). That agreement is the acceptance a greedy speculative decoder sees
// when every earlier draft was right.
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
}

export function emptyTotals(depth: number): EvalTotals {
  return { tokens: 0, nll: 0, predictions: 0, agree: new Array(depth).fill(0), compared: new Array(depth).fill(0) };
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
      if (argmax(logits) === mainArgmax[i + k0 + 1]) totals.agree[k0]++;
      totals.compared[k0]++;
    });
  });
  return totals;
}

export interface EvalReport {
  tokens: number;
  main_ppl: number;
  acceptance: Record<string, number>;
}

export function report(totals: EvalTotals): EvalReport {
  const acceptance: Record<string, number> = {};
  totals.agree.forEach((a, k0) => (acceptance[String(k0 + 1)] = totals.compared[k0] ? a / totals.compared[k0] : NaN));
  return { tokens: totals.tokens, main_ppl: Math.exp(totals.nll / totals.predictions), acceptance };
}
