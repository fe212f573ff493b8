// Run metrics from hand-made step events: rates, per-position acceptance, histogram, series.
import { describe, expect, it } from 'vitest';
import type { StepEvent } from '../../src/decode/decode-run.ts';
import { RunMetrics, speedup } from '../../src/decode/metrics.ts';

/** A step that committed `n` tokens, accepted `a` of `p` drafts, in `ms`. */
const step = (n: number, a: number, p: number, ms: number): StepEvent => ({
  tokens: Array.from({ length: n }, (_, i) => 100 + i),
  accepted: a,
  proposed: p,
  drafts: Array.from({ length: p }, (_, i) => 200 + i),
  ms,
  rows: p + 1,
});

describe('RunMetrics', () => {
  it('starts empty: no rates, zeroed histogram', () => {
    const s = new RunMetrics(2).snapshot();
    expect(s).toMatchObject({
      depth: 2,
      steps: 0,
      tokens: 0,
      decodeMs: 0,
      tokensPerSecond: null,
      msPerStep: null,
      meanTokensPerStep: null,
    });
    expect(s.acceptance).toEqual([
      { position: 1, accepted: 0, judged: 0, rate: null },
      { position: 2, accepted: 0, judged: 0, rate: null },
    ]);
    expect(s.pooled).toEqual({ accepted: 0, proposed: 0, rate: null });
    expect(s.histogram).toEqual([0, 0, 0]);
    expect(s.series).toEqual([]);
  });

  it('baseline (depth 0): one token a step, tokens/s over step time only', () => {
    const m = new RunMetrics(0);
    m.setPrefill(500, 1);
    for (const ms of [10, 20, 30, 40]) m.add(step(1, 0, 0, ms));
    const s = m.snapshot();
    expect(s.tokens).toBe(4);
    expect(s.steps).toBe(4);
    expect(s.decodeMs).toBe(100);
    expect(s.prefillMs).toBe(500);
    expect(s.prefillTokens).toBe(1);
    expect(s.tokensPerSecond).toBeCloseTo(40, 12); // 4 tokens in 100 ms; the prefill is apart
    expect(s.msPerStep).toBe(25);
    expect(s.meanTokensPerStep).toBe(1);
    expect(s.acceptance).toEqual([]);
    expect(s.pooled.rate).toBeNull();
    expect(s.histogram).toEqual([4]);
    expect(s.series).toEqual([
      { ms: 10, tokens: 1 },
      { ms: 30, tokens: 2 },
      { ms: 60, tokens: 3 },
      { ms: 100, tokens: 4 },
    ]);
  });

  it('depth 2: positions past the first rejection are not judged', () => {
    const m = new RunMetrics(2);
    m.add(step(3, 2, 2, 30)); // both accepted: pos1 +1/1, pos2 +1/1
    m.add(step(2, 1, 2, 30)); // pos1 accepted, pos2 rejected: pos1 +1/1, pos2 +0/1
    m.add(step(1, 0, 2, 30)); // pos1 rejected, pos2 not judged: pos1 +0/1
    m.add(step(1, 0, 2, 30)); // again
    const s = m.snapshot();
    expect(s.acceptance).toEqual([
      { position: 1, accepted: 2, judged: 4, rate: 0.5 },
      { position: 2, accepted: 1, judged: 2, rate: 0.5 },
    ]);
    expect(s.pooled).toEqual({ accepted: 3, proposed: 8, rate: 3 / 8 });
    expect(s.histogram).toEqual([2, 1, 1]);
    expect(s.tokens).toBe(7);
    expect(s.meanTokensPerStep).toBe(7 / 4);
    expect(s.tokensPerSecond).toBeCloseTo((7 / 120) * 1000, 12);
    expect(s.series.map((p) => p.tokens)).toEqual([3, 5, 6, 7]);
  });

  it('depth 1: per-position acceptance equals the pooled rate', () => {
    const m = new RunMetrics(1);
    [1, 0, 1, 1, 0].forEach((a) => m.add(step(a + 1, a, 1, 5)));
    const s = m.snapshot();
    expect(s.acceptance[0].rate).toBeCloseTo(0.6, 12);
    expect(s.pooled.rate).toBeCloseTo(0.6, 12);
    expect(s.histogram).toEqual([2, 3]);
  });

  it('a step cut short by max tokens judges nothing past what it emitted', () => {
    const m = new RunMetrics(2);
    // DecodeRun reports accepted = min(accepted, emitted): 2 drafts accepted, only 1 token had room.
    m.add(step(1, 1, 2, 10));
    const s = m.snapshot();
    expect(s.acceptance).toEqual([
      { position: 1, accepted: 1, judged: 1, rate: 1 },
      { position: 2, accepted: 0, judged: 0, rate: null },
    ]);
    expect(s.pooled).toEqual({ accepted: 1, proposed: 2, rate: 0.5 });
  });

  it('a step near the end of the context proposes fewer drafts', () => {
    const m = new RunMetrics(2);
    m.add(step(1, 0, 1, 10)); // depth cut to 1: position 1 rejected, position 2 never proposed
    m.add(step(1, 0, 0, 10));
    const s = m.snapshot();
    expect(s.acceptance.map((p) => p.judged)).toEqual([1, 0]);
    expect(s.pooled.proposed).toBe(1);
    expect(s.histogram).toEqual([2, 0, 0]);
  });

  it('rejects events that do not fit the depth', () => {
    const m = new RunMetrics(1);
    expect(() => m.add(step(3, 2, 2, 1))).toThrow(RangeError);
    expect(() => m.add(step(1, 2, 1, 1))).toThrow(RangeError);
    expect(() => new RunMetrics(-1)).toThrow(RangeError);
  });

  it('snapshots are copies', () => {
    const m = new RunMetrics(1);
    m.add(step(2, 1, 1, 4));
    const before = m.snapshot();
    m.add(step(1, 0, 1, 4));
    expect(before.histogram).toEqual([0, 1]);
    expect(before.series).toHaveLength(1);
  });
});

describe('speedup', () => {
  it('is MTP tokens/s over baseline tokens/s, null until both ran a step', () => {
    const base = new RunMetrics(0);
    const mtp = new RunMetrics(2);
    expect(speedup(base.snapshot(), mtp.snapshot())).toBeNull();
    base.add(step(1, 0, 0, 20)); // 50 tokens/s
    expect(speedup(base.snapshot(), mtp.snapshot())).toBeNull();
    mtp.add(step(3, 2, 2, 30)); // 100 tokens/s
    expect(speedup(base.snapshot(), mtp.snapshot())).toBeCloseTo(2, 12);
    expect(speedup(undefined, mtp.snapshot())).toBeNull();
  });
});
