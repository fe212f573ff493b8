// What the fused kernels' tests share: a random model of any shape whose weights sit in the engine's
// own WeightBuffer (so the tests read the layout the engine reads: vectors as stored, products
// transposed), a residual stream of random rows by position, the CPU oracle's error scale of a
// product, and a run of one kernel use over row batches (for the bit-exact batch-size checks).
import { expectedTensors, type ModelConfig } from '../../src/model/config.ts';
import type { Weights } from '../../src/model/weights.ts';
import type { Dispatch } from '../../src/gpu/dispatch.ts';
import { WeightBuffer } from '../../src/gpu/weight-buffer.ts';
import { randomF32, readF32, rng, runBatches, type KernelRig } from './dawn.ts';

/** The shipped models' shape, one block and one module: each test changes what it tests. */
export const SHAPE: ModelConfig = {
  vocab_size: 256,
  d_model: 128,
  n_layers: 1,
  n_heads: 4,
  ffn_hidden: 384,
  max_seq_len: 256,
  mtp_depth: 1,
  mtp_layers: 1,
  mtp_ffn_hidden: 384,
  rope_theta: 10000,
  norm_eps: 1e-5,
};

/**
 * A model of `config` with seeded random tensors: norm weights near 1, matrices of scale
 * 1 / sqrt(in) (activations stay near unit size through a block, as in a trained model).
 */
export function randomModel(changes: Partial<ModelConfig>, seed = 1): Weights {
  const config = { ...SHAPE, ...changes };
  const random = rng(seed);
  const tensors = new Map<string, Float32Array>();
  for (const [name, shape] of expectedTensors(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = randomF32(random, size, shape.length === 1 ? 0.2 : 1 / Math.sqrt(shape[1]));
    if (shape.length === 1) for (let i = 0; i < size; i++) t[i] += 1;
    tensors.set(name, t);
  }
  return { config, tensor: (name) => tensors.get(name)! };
}

/** The model's weights in a WeightBuffer, and each tensor on the CPU. */
export function gpuWeights(device: GPUDevice, weights: Weights) {
  return { gpu: new WeightBuffer(device, weights), cpu: (name: string) => weights.tensor(name) };
}

/** `rows` random rows of `width` floats (a stream by position, a cache, attention outputs). */
export function randomRows(seed: number, rows: number, width: number, scale = 1): Float32Array {
  return randomF32(rng(seed), rows * width, scale);
}

/** Row r of a [rows, width] array. */
export const row = (a: Float32Array, r: number, width: number) => a.subarray(r * width, (r + 1) * width);

/** sum_i |W[n, i] x_i| for every output n: the scale a float32 product's error is measured against. */
export function productScale(W: Float32Array, x: ArrayLike<number>, out: number): Float64Array {
  const n = x.length;
  const s = new Float64Array(out);
  for (let o = 0; o < out; o++) for (let i = 0; i < n; i++) s[o] += Math.abs(W[o * n + i] * x[i]);
  return s;
}

/** Runs `dispatch` over `blocks` (rows, pos0), each its own slot, in one pass as a step encodes them; reads `output` back. */
export async function runOn(rig: KernelRig, dispatch: Dispatch, blocks: [number, number][], output: GPUBuffer): Promise<Float32Array> {
  runBatches(rig, blocks, (pass, block) => dispatch.encode(pass, block));
  return readF32(rig.device, output);
}
