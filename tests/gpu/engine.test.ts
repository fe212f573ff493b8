// The whole GPU engine on real WebGPU (Dawn; SwiftShader without a GPU) against the CPU
// reference engine, step by step: prefill, MTP catch-up, chained drafts, verify, roll-back.
// Also on MTP modules shaped unlike the shipped ones (more blocks, a wider FFN), and with a draft vocabulary.
import { describe, expect, it } from 'vitest';
import { GpuEngine, type OpRunner } from '../../src/gpu/engine.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { expectedTensors, type ModelConfig } from '../../src/model/config.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import type { Weights } from '../../src/model/weights.ts';
import { decode } from '../../src/decode/decode-run.ts';
import { readModel } from '../../scripts/node-model.ts';
import { useGpu } from '../helpers/dawn.ts';
import { expectSameSteps } from '../helpers/same-steps.ts';

const { weights, tokenizer } = readModel('brown-mtp');
const model = new ReferenceModel(weights);

/**
 * The shipped weights under a config with other MTP shapes (the loader, reference and engine take any):
 * tensors whose shape is unchanged are the shipped ones, the others fixed pseudo-random values of scale 0.05.
 */
function reshaped(changes: Partial<ModelConfig>): Weights {
  const config = { ...weights.config, ...changes };
  const shipped = expectedTensors(weights.config);
  const tensors = new Map<string, Float32Array>();
  for (const [name, shape] of expectedTensors(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const same = shipped.get(name)?.join() === shape.join();
    tensors.set(name, same ? weights.tensor(name) : Float32Array.from({ length: size }, (_, i) => 0.05 * Math.sin(1.7 * i + name.length)));
  }
  return { config, tensor: (name) => tensors.get(name)! };
}
const grownWeights = reshaped({ mtp_layers: 2, mtp_ffn_hidden: weights.config.ffn_hidden + 128 });
/** Six MTP modules: a step of depth 6 takes 14 row batch slots. */
const deepWeights = reshaped({ mtp_depth: 6 });
/** A draft vocabulary of the even token ids: the modules can never draft an odd one. */
const draftWeights: Weights = { ...weights, draftVocab: Uint32Array.from({ length: weights.config.vocab_size / 2 }, (_, i) => 2 * i) };

const rig = {
  engine: undefined as unknown as GpuEngine,
  grown: undefined as unknown as GpuEngine,
  deep: undefined as unknown as GpuEngine,
  draft: undefined as unknown as GpuEngine,
  /** What GpuEngine.create gave for a model wider than the fused kernels take. */
  tooWide: undefined as unknown,
};
useGpu(async (device) => {
  rig.engine = await GpuEngine.create(device, weights, 'Dawn');
  rig.grown = await GpuEngine.create(device, grownWeights, 'Dawn');
  rig.deep = await GpuEngine.create(device, deepWeights, 'Dawn');
  rig.draft = await GpuEngine.create(device, draftWeights, 'Dawn');
  rig.tooWide = await GpuEngine.create(device, reshaped({ d_model: 512 }), 'Dawn').then(
    (engine) => engine.destroy(),
    (e: unknown) => e,
  );
});

describe('GPU engine', () => {
  const encode = (text: string) => [tokenizer.endOfText, ...tokenizer.encode(text)];

  it('matches the CPU reference engine step by step (drafts, verify argmax, logits), rejected drafts included', async () => {
    const rejected = await expectSameSteps(rig.engine, new CpuEngine(model), encode('The committee said that the new law would'), 10, 2);
    // The roll-back path must have been exercised for this test to mean anything.
    expect(rejected).toBeGreaterThan(0);
  });

  it('matches the reference with MTP modules of two blocks and a wider FFN than the main model', async () => {
    // Fails when the engine runs fewer MTP blocks or the main model's FFN width (mtp logits differ by ~5e-3).
    await expectSameSteps(
      rig.grown,
      new CpuEngine(new ReferenceModel(grownWeights)),
      encode('The committee said that the new law would'),
      6,
      2,
    );
  });

  it('matches the reference with six MTP modules, drafting all six a step', async () => {
    // Fails with a fixed number of slots too few for 2D + 2 row batches (a RangeError mid-step).
    await expectSameSteps(rig.deep, new CpuEngine(new ReferenceModel(deepWeights)), encode('The committee said that'), 4, 6);
  });

  it('matches the reference with a draft vocabulary, drafts only inside it, and greedy output unchanged', async () => {
    const prompt = encode('The committee said that the new law would');
    const rejected = await expectSameSteps(rig.draft, new CpuEngine(new ReferenceModel(draftWeights)), prompt, 8, 2);
    expect(rejected).toBeGreaterThan(0);
    rig.draft.commit([await rig.draft.prefill(prompt, 2)]);
    const drafts = [];
    for (let s = 0; s < 4; s++) {
      const step = await rig.draft.step(2);
      drafts.push(...step.drafts);
      rig.draft.commit([step.verified[0]]);
    }
    expect(drafts.filter((t) => t % 2 === 1)).toEqual([]);
    const run = (engine: GpuEngine) => decode(engine, prompt, { depth: 2, maxTokens: 30 });
    expect((await run(rig.draft)).tokens).toEqual((await run(rig.engine)).tokens);
  });

  it('refuses a model wider than the fused kernels take, naming the config field, before allocating', () => {
    expect(rig.tooWide).toBeInstanceOf(Error);
    expect((rig.tooWide as Error).message).toMatch(/^model config: "d_model" \(512\) is beyond the GPU kernels: a multiple of 4 up to 256/);
  });

  it('greedy output is identical at depth 0, 1 and 2 (row-batch-size invariance end to end)', async () => {
    const prompt = [tokenizer.endOfText, ...tokenizer.encode('It was a cold night in')];
    const run = (depth: number) => decode(rig.engine, prompt, { depth, maxTokens: 30 });
    const base = await run(0);
    for (const depth of [1, 2]) expect((await run(depth)).tokens).toEqual(base.tokens);
  });

  it('with the no-repeat rule: the same tokens as the CPU engine at depth 0, 1 and 2, the rule firing', async () => {
    const prompt = [
      tokenizer.endOfText,
      ...tokenizer.encode('The President told a news conference yesterday that the United States would'),
    ];
    const options = (depth: number, noRepeatNgram: number) => ({ depth, maxTokens: 40, noRepeatNgram });
    const want = await decode(new CpuEngine(model), prompt, options(0, 3));
    // The rule changes this prompt's text (its plain greedy text repeats), so mainLogits was read.
    expect((await decode(rig.engine, prompt, options(0, 0))).tokens).not.toEqual(want.tokens);
    for (const depth of [0, 1, 2])
      expect((await decode(rig.engine, prompt, options(depth, 3))).tokens, `depth ${depth}`).toEqual(want.tokens);
    // A row's logits through the step's readback buffer equal the CPU engine's.
    const cpu = new CpuEngine(model);
    cpu.commit([await cpu.prefill(prompt, 2)]);
    rig.engine.commit([await rig.engine.prefill(prompt, 2)]);
    await cpu.step(2);
    await rig.engine.step(2);
    for (const row of [0, 2]) {
      const got = await rig.engine.mainLogits(row);
      const ref = await cpu.mainLogits(row);
      expect(Math.max(...got.map((v, i) => Math.abs(v - ref[i]))), `row ${row}`).toBeLessThan(1e-3);
    }
  });

  it('counts the dispatches a step encodes (lastStepDispatches equals the dispatchWorkgroups calls)', async () => {
    const counted: number[] = [];
    // A runner that records every op into one pass, as the default does, counting the dispatches.
    const counting: OpRunner = (_device, encoder, ops) => {
      const pass = encoder.beginComputePass();
      let n = 0;
      const wrapped = new Proxy(pass, {
        get: (target, key) =>
          key === 'dispatchWorkgroups'
            ? (...args: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) => (n++, target.dispatchWorkgroups(...args))
            : (Reflect.get(target, key).bind?.(target) ?? Reflect.get(target, key)),
      });
      for (const op of ops) op.dispatch.encode(wrapped, op.batch);
      pass.end();
      counted.push(n);
    };
    const prompt = encode('The committee said that');
    for (const depth of [0, 1, 2]) {
      rig.engine.commit([await rig.engine.prefill(prompt, depth)]);
      await rig.engine.step(depth, undefined, counting);
      expect(rig.engine.lastStepDispatches, `depth ${depth}`).toBe(counted.at(-1));
    }
    // More drafting, more dispatches: each MTP module adds its own stack.
    expect(counted[0]).toBeLessThan(counted[1]);
    expect(counted[1]).toBeLessThan(counted[2]);
  });

  it('prefill of a full context agrees with the reference on the next token', async () => {
    const prompt = Array.from({ length: model.config.max_seq_len }, (_, i) => tokenizer.encode(' the')[0] + (i % 5));
    const cpuNext = await new CpuEngine(model).prefill(prompt, 2);
    expect(await rig.engine.prefill(prompt, 2)).toBe(cpuNext);
  });
});
