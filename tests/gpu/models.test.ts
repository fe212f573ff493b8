// Each shipped model of D = 3 on the GPU engine (Dawn; SwiftShader without a GPU) against the CPU
// reference engine: step by step at full depth from the model's first preset, rejected drafts
// included, and greedy output identical at every depth with the model's own no-repeat rule.
// (tests/gpu/engine.test.ts covers brown-mtp, and the engine's other paths, in depth.)
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/decode/decode-run.ts';
import { GpuEngine } from '../../src/gpu/engine.ts';
import { modelEntry } from '../../src/model/catalogue.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { readModel } from '../../scripts/node-model.ts';
import { useGpu } from '../helpers/dawn.ts';
import { expectSameSteps } from '../helpers/same-steps.ts';

const MODELS = ['kjv-mtp', 'python-mtp'].map((name) => readModel(name));
const engines = new Map<string, GpuEngine>();
useGpu(async (device) => {
  for (const m of MODELS) engines.set(m.name, await GpuEngine.create(device, m.weights, 'Dawn'));
});

describe.each(MODELS)('$name on the GPU', (m) => {
  const depth = m.weights.config.mtp_depth;
  const prompt = [m.tokenizer.endOfText, ...m.tokenizer.encode(modelEntry(m.name)!.presets[0].text)];
  const reference = new ReferenceModel(m.weights);

  it('has three MTP modules', () => expect(depth).toBe(3));

  it('matches the CPU reference step by step at depth 3, rolled-back drafts included', async () => {
    const rejected = await expectSameSteps(engines.get(m.name)!, new CpuEngine(reference), prompt, 6, depth, true);
    expect(rejected).toBeGreaterThan(0);
  });

  it('decodes from the boundary token alone (an empty prompt) at depth 3, as the baseline does', async () => {
    // Module 3 has no position of its own before the sequence holds 4 tokens (the catch-up then starts at 0).
    const options = (d: number) => ({ depth: d, maxTokens: 12, noRepeatNgram: m.decoding.noRepeatNgram, endOfText: m.tokenizer.endOfText });
    const empty = [m.tokenizer.endOfText];
    const want = await decode(new CpuEngine(reference), empty, options(0));
    expect((await decode(new CpuEngine(reference), empty, options(depth))).tokens).toEqual(want.tokens);
    expect((await decode(engines.get(m.name)!, empty, options(depth))).tokens).toEqual(want.tokens);
  });

  it("greedy output is the CPU reference's at depth 0 to 3, with the model's no-repeat rule", async () => {
    const options = (d: number) => ({ depth: d, maxTokens: 24, noRepeatNgram: m.decoding.noRepeatNgram, endOfText: m.tokenizer.endOfText });
    const want = await decode(new CpuEngine(reference), prompt, options(0));
    for (const d of [0, 1, 2, 3])
      expect((await decode(engines.get(m.name)!, prompt, options(d))).tokens, `depth ${d}`).toEqual(want.tokens);
  });
});
