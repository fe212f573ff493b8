// Speculative sampling on the GPU engine (Dawn; SwiftShader without a GPU): drafts drawn on the GPU
// inside the step's one submission, p and q read back with it, the rule on the CPU. A smoke check,
// kept to a few dozen short runs (a step takes ~0.1-0.3 s here): it runs, it samples from p, it
// reproduces with the same seed, and it agrees with the CPU engine. The distributional test of the
// rule on the real model is tests/unit/decode-run-sampling.test.ts (CPU engine, thousands of runs).
//
// CPU and GPU agree up to float rounding: the engines' probabilities differ by ~1e-6 (measured on
// SwiftShader: 1.1e-6 at most over the steps below), so a draw or an accept test flips only when its
// uniform lands within about that of a boundary: roughly 1e-6 of the decisions, a few in a million
// tokens. Same seed, same tokens on both engines, except in those rare runs; the test allows 2 of 12.
import { describe, expect, it } from 'vitest';
import { GpuEngine } from '../../src/gpu/engine.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { samplingDistribution } from '../../src/model/ops.ts';
import { decode } from '../../src/decode/decode-run.ts';
import { acceptOrResample, drawStepUniforms, Rng } from '../../src/decode/sampling.ts';
import { readModel } from '../../scripts/node-model.ts';
import { useGpu } from '../helpers/dawn.ts';

const { weights, tokenizer } = readModel('brown-mtp');
const model = new ReferenceModel(weights);
/** A draft vocabulary of the even token ids (as in engine.test.ts). */
const draftWeights = { ...weights, draftVocab: Uint32Array.from({ length: weights.config.vocab_size / 2 }, (_, i) => 2 * i) };
const rig = { engine: undefined as unknown as GpuEngine, draft: undefined as unknown as GpuEngine };
useGpu(async (device) => {
  rig.engine = await GpuEngine.create(device, weights, 'Dawn');
  rig.draft = await GpuEngine.create(device, draftWeights, 'Dawn');
});

/** GPU vs float64 probabilities: measured 1.1e-6 on SwiftShader; 1e-4 leaves room for other adapters' exp. */
const PROB_TOLERANCE = 1e-4;
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const setting = { temperature: 0.8, topP: 0.9 };

describe('speculative sampling on the GPU engine', () => {
  it("a sampling step draws the CPU engine's drafts at the same uniforms and reads back its p and q", async () => {
    const gpu = rig.engine;
    const cpu = new CpuEngine(model);
    const prompt = [tokenizer.endOfText, ...tokenizer.encode('The committee said that the new law would')];
    const rng = new Rng(77);
    const u0 = rng.nextF32();
    const first = await gpu.prefill(prompt, 2, { ...setting, uniform: u0 });
    expect(first).toBe(await cpu.prefill(prompt, 2, { ...setting, uniform: u0 }));
    gpu.commit([first]);
    cpu.commit([first]);
    let rejected = 0;
    let worst = 0;
    for (let s = 0; s < 6; s++) {
      const u = drawStepUniforms(rng, 2);
      const g = await gpu.step(2, { ...setting, uniforms: u.drafts });
      const c = await cpu.step(2, { ...setting, uniforms: u.drafts });
      expect(g.drafts, `step ${s} drafts`).toEqual(c.drafts);
      expect(g.verified, `step ${s} verify argmax`).toEqual(c.verified);
      expect(g.p).toHaveLength(3);
      expect(g.q).toHaveLength(2);
      g.p!.forEach((row, j) => (worst = Math.max(worst, maxAbsDiff(row, c.p![j]))));
      g.q!.forEach((row, k) => (worst = Math.max(worst, maxAbsDiff(row, c.q![k]))));
      // Each draft has positive probability under the distribution it was drawn from.
      g.drafts.forEach((d, k) => expect(g.q![k][d]).toBeGreaterThan(0));
      const vg = acceptOrResample(g.p!, g.q!, g.drafts, u);
      expect(vg).toEqual(acceptOrResample(c.p!, c.q!, c.drafts, u));
      rejected += 2 - vg.accepted;
      const tokens = [...g.drafts.slice(0, vg.accepted), vg.token];
      gpu.commit(tokens);
      cpu.commit(tokens);
    }
    if (process.env.SAMPLING_REPORT)
      console.log(`worst |p_gpu - p_cpu|, |q_gpu - q_cpu|: ${worst.toExponential(2)}; drafts rejected ${rejected} of 12`);
    expect(worst).toBeLessThan(PROB_TOLERANCE);
    expect(rejected).toBeGreaterThan(0);
    // Greedy steps after sampling ones are still greedy (the head without the sampling kernel).
    const g = await gpu.step(1);
    expect(g).toEqual(await cpu.step(1));
    expect(g.p).toBeUndefined();
  });

  it("with a draft vocabulary, q is the CPU engine's and zero outside it; p still covers every token", async () => {
    const cpu = new CpuEngine(new ReferenceModel(draftWeights));
    const prompt = [tokenizer.endOfText, ...tokenizer.encode('The committee said that the new law would')];
    const rng = new Rng(78);
    const u0 = rng.nextF32();
    const first = await rig.draft.prefill(prompt, 2, { ...setting, uniform: u0 });
    expect(first).toBe(await cpu.prefill(prompt, 2, { ...setting, uniform: u0 }));
    rig.draft.commit([first]);
    cpu.commit([first]);
    const u = drawStepUniforms(rng, 2);
    const g = await rig.draft.step(2, { ...setting, uniforms: u.drafts });
    const c = await cpu.step(2, { ...setting, uniforms: u.drafts });
    expect(g.drafts).toEqual(c.drafts);
    g.q!.forEach((row, k) => {
      expect(maxAbsDiff(row, c.q![k]), `q of module ${k + 1}`).toBeLessThan(PROB_TOLERANCE);
      expect(
        Array.from(row).filter((v, i) => i % 2 === 1 && v !== 0),
        `q of module ${k + 1} outside the vocabulary`,
      ).toEqual([]);
    });
    expect(g.p!.some((row) => row.some((v, i) => i % 2 === 1 && v > 0))).toBe(true);
  });

  it('the decode loop samples from p, reproduces per seed, and matches the CPU engine on most seeds', async () => {
    const prompt = [tokenizer.endOfText];
    const sampling = (seed: number) => ({ ...setting, seed });
    // Every first pair must be possible under plain sampling: in p(t1)'s nucleus, then p(t2 | t1)'s.
    const cache = model.newCache();
    const p1 = samplingDistribution(model.main(cache, prompt[0], 0).logits, setting.temperature, setting.topP);
    const possible = (t1: number, t2: number) =>
      p1[t1] > 0 && samplingDistribution(model.main(cache, t1, 1).logits, setting.temperature, setting.topP)[t2] > 0;
    const seeds = Array.from({ length: 12 }, (_, i) => 100 + i);
    let agree = 0;
    const firstTokens = new Set<number>();
    for (const seed of seeds) {
      const g = await decode(rig.engine, prompt, { depth: 2, maxTokens: 8, sampling: sampling(seed) });
      const c = await decode(new CpuEngine(model), prompt, { depth: 2, maxTokens: 8, sampling: sampling(seed) });
      expect(g.tokens).toHaveLength(8);
      expect(possible(g.tokens[0], g.tokens[1]), `seed ${seed}: ${g.tokens.slice(0, 2)}`).toBe(true);
      firstTokens.add(g.tokens[0]);
      if (g.tokens.every((t, i) => t === c.tokens[i])) agree++;
    }
    if (process.env.SAMPLING_REPORT)
      console.log(`GPU and CPU runs agree on ${agree} of ${seeds.length} seeds; ${firstTokens.size} distinct first tokens`);
    expect(agree).toBeGreaterThanOrEqual(seeds.length - 2);
    expect(firstTokens.size).toBeGreaterThan(2); // it samples: not one token every time
    const again = await decode(rig.engine, prompt, { depth: 2, maxTokens: 8, sampling: sampling(seeds[0]) });
    const first = await decode(rig.engine, prompt, { depth: 2, maxTokens: 8, sampling: sampling(seeds[0]) });
    expect(again.tokens).toEqual(first.tokens);
    // Depth 0 (plain sampling) runs on the same engine too.
    const plain = await decode(rig.engine, prompt, { depth: 0, maxTokens: 4, sampling: sampling(1) });
    expect(plain.tokens).toHaveLength(4);
    expect(possible(plain.tokens[0], plain.tokens[1])).toBe(true);
  });

  it('greedy decoding is unchanged after sampling runs (depth 0, 1, 2 identical)', async () => {
    const prompt = [tokenizer.endOfText, ...tokenizer.encode('It was a cold night in')];
    const run = (depth: number) => decode(rig.engine, prompt, { depth, maxTokens: 12 });
    const base = await run(0);
    for (const depth of [1, 2]) expect((await run(depth)).tokens).toEqual(base.tokens);
  });
});
