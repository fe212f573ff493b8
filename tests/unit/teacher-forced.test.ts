// The teacher-forced figures of `npm run eval` on a shipped model: the acceptance per depth and the
// top-1..4 coverage of the main model's token in each module's logits, checked against a count made
// here from the same logits by sorting them (the oracle of rankOf).
import { describe, expect, it } from 'vitest';
import { argmax } from '../../src/model/ops.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { COVERAGE_RANKS, emptyTotals, evaluateWindow, forwardWindow, rankOf, report } from '../../src/model/teacher-forced.ts';
import { readModel } from '../../scripts/node-model.ts';

const { weights, tokenizer } = readModel('kjv-mtp');
const model = new ReferenceModel(weights);
const ids = [
  tokenizer.endOfText,
  ...tokenizer.encode('In the beginning God created the heaven and the earth. And the earth was without form, and void;'),
];

/** Position of `token` when the logits are sorted largest first, ties by index. */
function sortedRank(logits: Float32Array, token: number): number {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  return order.indexOf(token);
}

describe('teacher-forced evaluation', () => {
  it('rankOf orders ties by index, as argmax breaks them', () => {
    const logits = [1, 3, 3, 0, 3];
    expect([0, 1, 2, 3, 4].map((t) => rankOf(logits, t))).toEqual([3, 0, 1, 4, 2]);
    expect(rankOf(logits, argmax(logits))).toBe(0);
  });

  it('top-1 coverage is the acceptance; top-k grows with k to the count made by sorting', () => {
    const r = report(evaluateWindow(model, ids, emptyTotals(weights.config.mtp_depth)));
    const { mainLogits, mtpLogits } = forwardWindow(model, ids);
    const mainArgmax = mainLogits.map(argmax);
    mtpLogits.forEach((rows, k0) => {
      const ranks = rows.map((logits, i) => sortedRank(logits, mainArgmax[i + k0 + 1]));
      const want = Array.from({ length: COVERAGE_RANKS }, (_, j) => ranks.filter((rank) => rank <= j).length / ranks.length);
      const got = r.top_k_coverage[String(k0 + 1)];
      expect(got).toEqual(want);
      expect(got[0]).toBe(r.acceptance[String(k0 + 1)]);
      for (let j = 1; j < COVERAGE_RANKS; j++) expect(got[j]).toBeGreaterThanOrEqual(got[j - 1]);
    });
    // On this text some drafts miss at top 1 and are caught lower down; without that, the
    // comparison above would not tell the ranks apart.
    expect(Object.values(r.top_k_coverage).some((c) => c[COVERAGE_RANKS - 1] > c[0])).toBe(true);
  });
});
