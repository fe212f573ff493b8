// MTP modules need not be shaped like the main model's blocks: a config may give them more than
// one transformer block (mtp_layers) and their own FFN width (mtp_ffn_hidden). The shipped model
// uses one shape; this runs the GPU engine against the CPU reference on another, built from the
// shipped weights with the tensors that do not fit filled with fixed pseudo-random values.
import { describe, expect, it } from 'vitest';
import { GpuEngine } from '../../src/gpu/engine.ts';
import { CpuEngine } from '../../src/model/engine.ts';
import { expectedTensors, type ModelConfig } from '../../src/model/config.ts';
import { ReferenceModel, type Weights } from '../../src/model/reference.ts';
import { acceptedPrefix } from '../../src/decode/greedy.ts';
import { readModel } from '../../scripts/node_model.ts';
import { useGpu } from './dawn.ts';

const { weights: shipped, tokenizer } = readModel();

/** The shipped weights reshaped to `changes`: tensors of a new shape get values of scale 0.05. */
function reshaped(changes: Partial<ModelConfig>): Weights {
  const config = { ...shipped.config, ...changes };
  const tensors = new Map<string, Float32Array>();
  for (const [name, shape] of expectedTensors(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const same = expectedTensors(shipped.config).get(name)?.join() === shape.join();
    tensors.set(name, same ? shipped.tensor(name) : Float32Array.from({ length: size }, (_, i) => 0.05 * Math.sin(1.7 * i + name.length)));
  }
  return { config, tensor: (name) => tensors.get(name)! };
}

const weights = reshaped({ mtp_layers: 2, mtp_ffn_hidden: shipped.config.ffn_hidden + 128 });
const model = new ReferenceModel(weights);
const rig = { engine: undefined as unknown as GpuEngine };
useGpu(async (device) => {
  rig.engine = await GpuEngine.create(device, weights, 'Dawn');
});

const LOGIT_TOLERANCE = 1e-3; // as in engine.test.ts
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('GPU engine, MTP modules of two blocks and a wider FFN', () => {
  it('matches the CPU reference step by step (drafts, verify argmax, MTP logits)', async () => {
    const gpu = rig.engine;
    const cpu = new CpuEngine(model);
    const prompt = [tokenizer.endOfText, ...tokenizer.encode('The committee said that the new law would')];
    const first = await gpu.prefill(prompt, 2);
    expect(first).toBe(await cpu.prefill(prompt, 2));
    gpu.commit([first]);
    cpu.commit([first]);
    for (let s = 0; s < 6; s++) {
      const g = await gpu.step(2);
      expect(g).toEqual(await cpu.step(2));
      const logits = await gpu.readLogits(2);
      logits.mtp.forEach((row, k0) => expect(maxAbsDiff(row, cpu.lastLogits.mtp[k0]), `mtp ${k0 + 1}`).toBeLessThan(LOGIT_TOLERANCE));
      const a = acceptedPrefix(g.drafts, g.verified);
      const tokens = [...g.drafts.slice(0, a), g.verified[a]];
      gpu.commit(tokens);
      cpu.commit(tokens);
    }
  });
});
