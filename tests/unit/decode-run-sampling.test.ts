// Speculative sampling end to end on the real model (CPU engine, the real decode loop): with MTP
// drafts (depth 2) the first generated tokens are distributed exactly as plain sampling's (depth 0).
//
// Prompt: the document boundary alone (the start of a document), T = 0.8, top-p = 0.8: the first
// token's nucleus has 10 tokens and the first pair's 164, and the MTP drafts are accepted about 60% of
// the time, so both branches of the rule (accept; reject and resample) run often. The first token
// comes from the prefill (a plain draw in both modes); tokens 2 and 3 come from the first step's
// rule at depth 2 (draft accepted, or the residual, or the bonus).
//
// The exact plain-sampling distribution of the first three tokens is computed from the reference
// model: P(t1, t2, t3) = p(t1) p(t2 | t1) p(t3 | t1, t2), one forward per prefix in the nuclei. Tests
// (deterministic seeds; tail probability 1e-4 each, i.e. how unlikely a correct sampler is to fail):
// - Pearson chi-square of the depth-2 sample against the exact distribution: first pair (t1, t2),
//   the pair made by the rule (t2, t3), and the triple; cells expected below 5 pooled;
// - the same for a depth-0 sample (checks the exact computation and plain sampling themselves);
// - chi-square homogeneity of the depth-2 and depth-0 samples of the first pair.
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { samplingDistribution } from '../../src/model/ops.ts';
import { decode } from '../../src/decode/decode-run.ts';
import { RunMetrics } from '../../src/decode/metrics.ts';
import { readModel } from '../../scripts/node-model.ts';
import { chiSquareCritical, chiSquareFit, chiSquareTwoSample, frequencies, tally, totalVariation } from '../helpers/stats.ts';

const { weights, tokenizer } = readModel('brown-mtp');
const model = new ReferenceModel(weights);
const setting = { temperature: 0.8, topP: 0.8 };
const prompt = [tokenizer.endOfText];

/** Exact distributions of (t1, t2), (t2, t3) and (t1, t2, t3) under plain sampling. */
function exactDistributions(): { first: Map<string, number>; second: Map<string, number>; triple: Map<string, number> } {
  const cache = model.newCache();
  let logits!: Float32Array;
  prompt.forEach((t, pos) => (logits = model.main(cache, t, pos).logits));
  const P = prompt.length;
  const dist = (l: Float32Array) => samplingDistribution(l, setting.temperature, setting.topP);
  const first = new Map<string, number>();
  const second = new Map<string, number>();
  const triple = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, p: number) => m.set(k, (m.get(k) ?? 0) + p);
  dist(logits).forEach((p1, t1) => {
    if (!(p1 > 0)) return;
    // Positions are absolute: each forward overwrites the later KV slots it needs.
    dist(model.main(cache, t1, P).logits).forEach((p2, t2) => {
      if (!(p2 > 0)) return;
      first.set(`${t1},${t2}`, p1 * p2);
      dist(model.main(cache, t2, P + 1).logits).forEach((p3, t3) => {
        if (!(p3 > 0)) return;
        add(second, `${t2},${t3}`, p1 * p2 * p3);
        triple.set(`${t1},${t2},${t3}`, p1 * p2 * p3);
      });
    });
  });
  return { first, second, triple };
}

async function sampleRuns(depth: number, seeds: number[], metrics?: RunMetrics): Promise<number[][]> {
  const engine = new CpuEngine(model);
  const out: number[][] = [];
  for (const seed of seeds) {
    const r = await decode(engine, prompt, { depth, maxTokens: 3, sampling: { ...setting, seed }, onStep: (e) => metrics?.add(e) });
    out.push(r.tokens);
  }
  return out;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('speculative sampling on the CPU engine', () => {
  it('depth 2 samples the first three tokens as plain sampling does (vs the exact distribution and vs depth 0)', async () => {
    const exact = exactDistributions();
    const metrics = new RunMetrics(2);
    const spec = await sampleRuns(2, range(0, 2000), metrics);
    const plain = await sampleRuns(0, range(1_000_000, 1200));
    const fit = (runs: number[][], key: (t: number[]) => string, probs: Map<string, number>) =>
      chiSquareFit(tally(runs.map(key)), probs, runs.length);
    const pair12 = (t: number[]) => `${t[0]},${t[1]}`;
    const pair23 = (t: number[]) => `${t[1]},${t[2]}`;
    const all3 = (t: number[]) => t.join(',');
    const checks = [
      ['depth 2 (t1, t2)', fit(spec, pair12, exact.first)],
      ['depth 2 (t2, t3)', fit(spec, pair23, exact.second)],
      ['depth 2 (t1, t2, t3)', fit(spec, all3, exact.triple)],
      ['depth 0 (t1, t2)', fit(plain, pair12, exact.first)],
      ['depth 0 (t1, t2, t3)', fit(plain, all3, exact.triple)],
      ['depth 2 vs depth 0 (t1, t2)', chiSquareTwoSample(tally(spec.map(pair12)), tally(plain.map(pair12)))],
    ] as const;
    for (const [what, chi] of checks) {
      expect(chi.df, `${what}: cells`).toBeGreaterThanOrEqual(10);
      expect(chi.statistic, `${what}: chi-square ${chi.statistic.toFixed(1)}, df ${chi.df}`).toBeLessThanOrEqual(
        chiSquareCritical(chi.df, '1e-4'),
      );
    }
    if (process.env.SAMPLING_REPORT) {
      for (const [what, chi] of checks)
        console.log(
          `${what}: chi-square ${chi.statistic.toFixed(1)} df ${chi.df} (1e-4 critical ${chiSquareCritical(chi.df, '1e-4').toFixed(1)})`,
        );
      const tv = (runs: number[][]) => totalVariation(frequencies(tally(runs.map(pair12))), exact.first).toFixed(3);
      console.log(`TV from exact (t1, t2): depth 2 ${tv(spec)}, depth 0 ${tv(plain)}; acceptance`, metrics.snapshot().acceptance);
    }
    // Both branches of the rule ran many times.
    const s = metrics.snapshot();
    expect(s.acceptance[0].accepted).toBeGreaterThan(500);
    expect(s.acceptance[0].judged - s.acceptance[0].accepted).toBeGreaterThan(300);
    expect(s.acceptance[1].judged - s.acceptance[1].accepted).toBeGreaterThan(100);
  }, 600_000);

  it('the same seed gives the same tokens, another seed other tokens, on fresh engines', async () => {
    const text = [tokenizer.endOfText, ...tokenizer.encode('The jury said')];
    const run = (seed: number, depth = 2) =>
      decode(new CpuEngine(model), text, { depth, maxTokens: 24, sampling: { temperature: 1, topP: 0.95, seed } });
    const a = await run(5);
    expect(a.tokens).toHaveLength(24);
    expect((await run(5)).tokens).toEqual(a.tokens);
    expect((await run(6)).tokens).not.toEqual(a.tokens);
    // Fewer steps than tokens: drafts were accepted.
    expect(a.steps).toBeLessThan(23);
  });

  it('temperature 0 is greedy decoding, token for token', async () => {
    const text = [tokenizer.endOfText, ...tokenizer.encode('He had never seen')];
    const greedy = await decode(new CpuEngine(model), text, { depth: 2, maxTokens: 16 });
    const t0 = await decode(new CpuEngine(model), text, { depth: 2, maxTokens: 16, sampling: { temperature: 0, seed: 3 } });
    expect(t0.tokens).toEqual(greedy.tokens);
  });

  it('steps return p and q as distributions only when sampling, and reject bad settings', async () => {
    const engine = new CpuEngine(model);
    const first = await engine.prefill(prompt, 2, { ...setting, uniform: 0.5 });
    engine.commit([first]);
    const r = await engine.step(2, { ...setting, uniforms: [0.3, 0.7] });
    expect(r.p).toHaveLength(3);
    expect(r.q).toHaveLength(2);
    for (const row of [...r.p!, ...r.q!]) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    r.drafts.forEach((d, k) => expect(r.q![k][d]).toBeGreaterThan(0));
    engine.commit([r.drafts[0], r.drafts[1]].slice(0, 1));
    expect((await engine.step(1)).p).toBeUndefined();
    await expect(engine.prefill(prompt, 2, { temperature: 0, topP: 1, uniform: 0.5 })).rejects.toThrow(RangeError);
    await expect(engine.prefill(prompt, 2, { temperature: 1, topP: 1.5, uniform: 0.5 })).rejects.toThrow(RangeError);
  });

  it('stops at a full context when sampling, drafting only what fits', async () => {
    const max = model.config.max_seq_len;
    const long = Array.from({ length: max - 3 }, (_, i) => ((i * 7) % 200) + 32);
    const result = await decode(new CpuEngine(model), long, { depth: 2, maxTokens: 100, sampling: { temperature: 1, seed: 9 } });
    expect(result.stop).toBe('context-full');
    expect(long.length + result.tokens.length).toBe(max + 1);
  });
});
