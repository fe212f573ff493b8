// The speculative-sampling rule (src/decode/sampling.ts) on synthetic distributions: whatever the
// drafts' distribution q, the committed tokens must be distributed as p. Also the PRNG and the CPU
// temperature / top-p / inverse-CDF functions the engines share.
//
// Statistical bounds (seeds are fixed, so each test is deterministic; the tail probabilities say how
// unlikely a correct rule would be to fail on a given seed):
// - per cell: |count - N p| <= 4.5 sqrt(N p (1 - p)) (normal tail 6.8e-6 per cell, under 1e-4 over a
//   test's cells), and a cell with p = 0 must never be observed;
// - all cells together: Pearson's chi-square below its 1e-5 critical value (cells expected < 5 pooled);
// - the acceptance rate against its known mean sum_x min(p(x), q(x)), within 4.5 binomial sigmas.
// With N = 200 000, 4.5 sigmas is at most 0.005 in absolute probability: a rule that drew from q, or
// resampled from p instead of the residual, is off by far more on every shape below.
import { describe, expect, it } from 'vitest';
import { acceptOrResample, drawStepUniforms, residualDraw, Rng } from '../../src/decode/sampling.ts';
import { sampleIndex, samplingDistribution } from '../../src/model/ops.ts';
import { chiSquareCritical, chiSquareFit, tally } from '../helpers/stats.ts';

const N = 200_000;

function normalise(w: number[]): number[] {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

/** Every cell within 4.5 sigmas, zero-probability cells empty, and chi-square under its 1e-5 critical value. */
function expectDistributed<K>(counts: Map<K, number>, probs: Map<K, number>, n: number, what: string): void {
  for (const k of counts.keys()) expect(probs.get(k) ?? 0, `${what}: drew ${String(k)}, which has probability 0`).toBeGreaterThan(0);
  let worst = 0;
  for (const [k, p] of probs) {
    if (p <= 0) continue;
    const z = Math.abs((counts.get(k) ?? 0) - n * p) / Math.sqrt(n * p * (1 - p) || 1);
    worst = Math.max(worst, z);
  }
  expect(worst, `${what}: worst cell, in sigmas`).toBeLessThanOrEqual(4.5);
  const chi = chiSquareFit(counts, probs, n);
  if (process.env.SAMPLING_REPORT)
    console.log(
      `${what}: worst cell ${worst.toFixed(2)} sigma; chi-square ${chi.statistic.toFixed(1)}, df ${chi.df}, 1e-5 critical ${chiSquareCritical(chi.df, '1e-5').toFixed(1)}`,
    );
  expect(chi.statistic, `${what}: chi-square (${chi.cells} cells)`).toBeLessThanOrEqual(chiSquareCritical(chi.df, '1e-5'));
}

/** One position: draft x ~ q (inverse CDF at a float32 uniform, as the engines do), then the rule. */
function simulateOne(p: number[], q: number[], seed: number, n = N): { tokens: Map<number, number>; accepted: number } {
  const rng = new Rng(seed);
  const bonus = p.map(() => 1 / p.length); // p_2: the bonus row, unused for the first token
  const out: number[] = [];
  let accepted = 0;
  for (let i = 0; i < n; i++) {
    const u = drawStepUniforms(rng, 1);
    const x = sampleIndex(q, u.drafts[0]);
    const v = acceptOrResample([p, bonus], [q], [x], u);
    accepted += v.accepted;
    out.push(v.accepted === 1 ? x : v.token);
  }
  return { tokens: tally(out), accepted };
}

const asMap = (p: number[]) => new Map(p.map((x, i) => [i, x]));
const overlap = (p: number[], q: number[]) => p.reduce((s, x, i) => s + Math.min(x, q[i]), 0);

describe('speculative sampling rule: committed tokens follow p whatever q is', () => {
  const base = normalise([9, 7, 5, 4, 3, 2, 1.5, 1, 0.5, 0.25]);
  const perturbed = normalise(base.map((x, i) => x * (1 + 0.15 * Math.sin(3 * i + 1))));
  const shapes: [string, number[], number[]][] = [
    ['q close to p', base, perturbed],
    ['q far from p (reversed)', base, [...base].reverse()],
    ['q zero where p is not', base, normalise([0, 0, 0, 1, 2, 3, 4, 0, 0, 5])],
    ['p zero where q is not', normalise([5, 0, 3, 0, 0, 2, 0, 0, 1, 0]), base],
    [
      'both top-p truncated, different nuclei',
      Array.from(samplingDistribution([2, 1.5, 1.4, 1, 0.5, 0, -0.5, -1, -2, -3], 0.8, 0.7)),
      Array.from(samplingDistribution([1, 2, 0.5, 1.4, 1.1, 0, -0.5, -1, -2, -3], 1.2, 0.9)),
    ],
    ['q equal to p', base, base],
  ];

  it.each(shapes)('%s', (name, p, q) => {
    const { tokens, accepted } = simulateOne(p, q, 17);
    expectDistributed(tokens, asMap(p), N, name);
    // P(accept) = sum_x min(p(x), q(x)) = 1 - TV(p, q).
    const a = overlap(p, q);
    const sigma = Math.sqrt(N * a * (1 - a) || 1);
    if (process.env.SAMPLING_REPORT) console.log(`${name}: acceptance ${(accepted / N).toFixed(4)}, expected ${a.toFixed(4)}`);
    expect(Math.abs(accepted - N * a) / sigma, `${name}: acceptance ${accepted / N} vs ${a}`).toBeLessThanOrEqual(4.5);
  });

  it('two drafts in a chain: the first two tokens follow p1(t1) p2(t2 | t1), through every branch', () => {
    // V = 5; the second position's distributions depend on the first token (as a model's would).
    const V = 5;
    const p1 = normalise([4, 3, 2, 1, 1]);
    const q1 = normalise([1, 1, 4, 3, 2]);
    const p2 = (t: number) => normalise(Array.from({ length: V }, (_, i) => 1 + ((i * (t + 2)) % V) + (i === t ? 3 : 0)));
    const q2 = (t: number) => normalise(Array.from({ length: V }, (_, i) => (i === (t + 1) % V ? 6 : 1) * (i === 4 && t === 0 ? 0 : 1)));
    const p3 = normalise([1, 1, 1, 1, 1]);
    const rng = new Rng(2024);
    const pairs: string[] = [];
    const branches = [0, 0, 0];
    for (let i = 0; i < N; i++) {
      const u = drawStepUniforms(rng, 2);
      const x1 = sampleIndex(q1, u.drafts[0]);
      const x2 = sampleIndex(q2(x1), u.drafts[1]);
      const v = acceptOrResample([p1, p2(x1), p3], [q1, q2(x1)], [x1, x2], u);
      branches[v.accepted]++;
      const t1 = v.accepted >= 1 ? x1 : v.token;
      // After a rejection at the first draft the next step would draw t2 from p2(. | t1) (its own rule
      // preserves that); drawing it directly keeps this test about this step.
      const t2 = v.accepted === 2 ? x2 : v.accepted === 1 ? v.token : sampleIndex(p2(t1), rng.next());
      pairs.push(`${t1},${t2}`);
    }
    const want = new Map<string, number>();
    for (let a = 0; a < V; a++) for (let b = 0; b < V; b++) want.set(`${a},${b}`, p1[a] * p2(a)[b]);
    expectDistributed(tally(pairs), want, N, 'pairs');
    for (const n of branches) expect(n).toBeGreaterThan(N / 20); // every branch was exercised
  });

  it('draws the residual max(0, p - q), normalised, on rejection', () => {
    const p = normalise([5, 1, 3, 1]);
    const q = normalise([1, 5, 1, 3]);
    const counts = tally(Array.from({ length: 20_000 }, (_, i) => residualDraw(p, q, (i + 0.5) / 20_000)));
    // Residual: max(0, [0.5 - 0.1, 0.1 - 0.5, 0.3 - 0.1, 0.1 - 0.3]) = [0.4, 0, 0.2, 0] -> [2/3, 0, 1/3, 0].
    expect(counts.get(0)).toBe(13_333);
    expect(counts.get(2)).toBe(6_667);
    expect(counts.has(1) || counts.has(3)).toBe(false);
    // p = q: nothing left; falls back to p.
    expect(residualDraw(p, p, 0.99)).toBe(3);
  });

  it('depth 0 is plain sampling from p1 at the final uniform', () => {
    const p = normalise([1, 2, 3]);
    expect(acceptOrResample([p], [], [], { accept: [], final: 0.2 })).toEqual({ accepted: 0, token: 1 });
    expect(acceptOrResample([p], [], [], { accept: [], final: 0.9 })).toEqual({ accepted: 0, token: 2 });
  });

  it('always rejects a draft the main model gives probability 0, always accepts one where p >= q', () => {
    const p = [0.5, 0, 0.5];
    const q = [0.2, 0.6, 0.2];
    expect(acceptOrResample([p, p], [q], [1], { accept: [0], final: 0.1 }).accepted).toBe(0);
    expect(acceptOrResample([p, p], [q], [0], { accept: [0.999999], final: 0.1 }).accepted).toBe(1);
  });
});

describe('Rng (xoshiro128**)', () => {
  it('is reproducible per seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xa);
    expect(new Rng(2 ** 40).nextU32()).not.toBe(new Rng(0).nextU32());
    expect(() => new Rng(1.5)).toThrow(RangeError);
  });

  it('gives float32-exact uniforms in [0, 1) for the GPU, and 53-bit ones', () => {
    const r = new Rng(7);
    for (let i = 0; i < 10_000; i++) {
      const u = r.nextF32();
      expect(Math.fround(u) === u && u >= 0 && u < 1).toBe(true);
      const v = r.next();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });

  it('is uniform: 64 bins of 640 000 draws pass chi-square, and successive pairs do too', () => {
    const r = new Rng(1);
    const n = 640_000;
    const bins = new Map<number, number>();
    const pairBins = new Map<number, number>();
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      const b = Math.floor(u * 64);
      bins.set(b, (bins.get(b) ?? 0) + 1);
      if (i % 2 === 1) pairBins.set(prev * 8 + Math.floor(u * 8), (pairBins.get(prev * 8 + Math.floor(u * 8)) ?? 0) + 1);
      prev = Math.floor(u * 8);
    }
    const flat = (k: number) => new Map(Array.from({ length: k }, (_, i) => [i, 1 / k]));
    const single = chiSquareFit(bins, flat(64), n);
    expect(single.statistic).toBeLessThanOrEqual(chiSquareCritical(single.df, '1e-5'));
    const pairs = chiSquareFit(pairBins, flat(64), n / 2);
    expect(pairs.statistic).toBeLessThanOrEqual(chiSquareCritical(pairs.df, '1e-5'));
  });
});

describe('temperature, top-p and the inverse-CDF draw (CPU)', () => {
  it('softmax with temperature, normalised', () => {
    const d = samplingDistribution([0, Math.log(2), Math.log(4)], 1, 1);
    expect(Array.from(d)).toEqual([1 / 7, 2 / 7, 4 / 7].map((x) => expect.closeTo(x, 12)));
    const cold = samplingDistribution([0, Math.log(2)], 0.5, 1); // (1, 4) / 5
    expect(cold[1]).toBeCloseTo(0.8, 12);
  });

  it('top-p keeps the smallest set of most likely tokens holding top-p of the mass, ties together', () => {
    const logits = [Math.log(1), Math.log(5), Math.log(2), Math.log(2)]; // probs 0.1, 0.5, 0.2, 0.2
    const kept = (topP: number) => Array.from(samplingDistribution(logits, 1, topP), (x) => x > 0);
    expect(kept(0.5)).toEqual([false, true, false, false]);
    expect(kept(0.6)).toEqual([false, true, true, true]); // 0.5 is short; the two 0.2s are tied
    expect(kept(0.89)).toEqual([false, true, true, true]); // (exactly 0.9 is a rounding coin toss)
    expect(kept(0.91)).toEqual([true, true, true, true]);
    const d = samplingDistribution(logits, 1, 0.6);
    expect(d[1]).toBeCloseTo(0.5 / 0.9, 12);
    expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('draws by inverse CDF in index order, never a zero-weight index', () => {
    const w = [0, 0.25, 0, 0.5, 0.25, 0];
    expect(sampleIndex(w, 0)).toBe(1);
    expect(sampleIndex(w, 0.2499)).toBe(1);
    expect(sampleIndex(w, 0.25)).toBe(3);
    expect(sampleIndex(w, 0.75)).toBe(4);
    expect(sampleIndex(w, 1 - 2 ** -53)).toBe(4);
    expect(() => sampleIndex([0, 0], 0.5)).toThrow(RangeError);
  });
});
