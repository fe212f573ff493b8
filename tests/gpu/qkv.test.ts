// qkv.wgsl (norm, [Wq; Wk; Wv], RoPE, cache write) against the CPU oracle (ops.rmsnorm, ops.matvec,
// ops.rope) at decode and prefill row batch sizes and several head sizes, and its bit-exact batch-size
// invariance: a row's cache entry is the same bits whatever block it was computed in.
import { describe, expect, it } from 'vitest';
import { matvec, rmsnorm, rope } from '../../src/model/ops.ts';
import { bitDifferences, upload, useKernels, worstError, zeros } from '../helpers/dawn.ts';
import { gpuWeights, productScale, randomModel, randomRows, row, runOn } from '../helpers/fused.ts';

const rig = useKernels(['qkv']);
const S = 256;

/**
 * Error scale of an output: sum_k |a_k w_nk| (a RoPE output mixes two: the sum of both scales).
 * A float32 chain of K = d fmas is within about K * 2^-24 of it in the worst case (d = 128: 7.6e-6)
 * and sqrt(K) * 2^-24 typically; the norm's own rounding adds a few ulps of a. Tolerance 1e-5.
 */
const RTOL = 1e-5;

function setup(nHeads = 4, seed = 3) {
  const weights = randomModel({ n_heads: nHeads }, seed);
  const { d_model: d, norm_eps: eps, rope_theta: theta } = weights.config;
  const w = gpuWeights(rig.device, weights);
  const x = randomRows(seed + 1, S, d);
  const table = rig.kernels.ropeTable(d / nHeads, S, theta);
  const p = 'layers.0';
  const use = (cache: GPUBuffer) =>
    rig.kernels.qkv({
      x: { buffer: upload(rig.device, x), positional: true },
      norm: w.gpu.view(`${p}.attn_norm.weight`),
      w: w.gpu.columns(`${p}.attn.wq.weight`, `${p}.attn.wk.weight`, `${p}.attn.wv.weight`),
      cache: { buffer: cache },
      table,
      d,
      nHeads,
      eps,
    });
  /** The cache row at `pos` as the CPU computes it, and its error scale. */
  const reference = (pos: number) => {
    const a = rmsnorm(row(x, pos, d), w.cpu(`${p}.attn_norm.weight`), eps);
    const parts = ['wq', 'wk', 'wv'].map((n) => w.cpu(`${p}.attn.${n}.weight`));
    const [q, k, v] = parts.map((W) => matvec(W, a, d));
    const [bq, bk, bv] = parts.map((W) => productScale(W, a, d));
    rope(q, pos, nHeads, theta);
    rope(k, pos, nHeads, theta);
    // A rotated output mixes j and j + hd/2 of its head: its scale is both of theirs.
    const hd = d / nHeads;
    const pair = (b: Float64Array) => b.map((_, i) => b[i] + b[Math.floor(i / hd) * hd + (((i % hd) + hd / 2) % hd)]);
    return { want: Float32Array.from([...q, ...k, ...v]), bound: Float64Array.from([...pair(bq), ...pair(bk), ...bv]) };
  };
  return { d, use, reference };
}

async function cacheAfter(blocks: [number, number][], s: ReturnType<typeof setup>): Promise<Float32Array> {
  const cache = zeros(rig.device, S * 3 * s.d);
  return runOn(rig, s.use(cache), blocks, cache);
}

describe('qkv vs the CPU oracle', () => {
  const cases: [rows: number, pos0: number][] = [
    [1, 0],
    [1, 200],
    [2, 37],
    [3, 100],
    [4, 252],
    [7, 10],
    [64, 0],
  ];
  for (const [rows, pos0] of cases)
    it(`block of ${rows} at pos0 ${pos0}`, async () => {
      const s = setup();
      const got = await cacheAfter([[rows, pos0]], s);
      for (let r = 0; r < rows; r++) {
        const { want, bound } = s.reference(pos0 + r);
        expect(worstError(row(got, pos0 + r, 3 * s.d), want, bound), `row ${r}`).toBeLessThanOrEqual(RTOL);
      }
      // Rows outside the block are untouched.
      if (pos0 > 0) expect(row(got, pos0 - 1, 3 * s.d).every((v) => v === 0)).toBe(true);
    });

  for (const nHeads of [2, 16])
    it(`heads of ${128 / nHeads} dims (RoPE pairs across a lane's columns)`, async () => {
      const s = setup(nHeads, 11);
      const got = await cacheAfter([[4, 60]], s);
      for (let r = 0; r < 4; r++) {
        const { want, bound } = s.reference(60 + r);
        expect(worstError(row(got, 60 + r, 3 * s.d), want, bound), `row ${r}`).toBeLessThanOrEqual(RTOL);
      }
    });
});

describe('qkv batch-size invariance (bit-exact)', () => {
  it('a block of 7 equals 7 blocks of 1 and a 3 + 4 split, at pos0 = 120', async () => {
    const s = setup();
    const whole = await cacheAfter([[7, 120]], s);
    const singles = await cacheAfter(
      Array.from({ length: 7 }, (_, r): [number, number] => [1, 120 + r]),
      s,
    );
    const split = await cacheAfter(
      [
        [3, 120],
        [4, 123],
      ],
      s,
    );
    expect(bitDifferences(whole, singles)).toEqual([]);
    expect(bitDifferences(whole, split)).toEqual([]);
  });
});

describe('qkv limits, by name', () => {
  it('refuses a model wider than the fused kernels take, heads not a multiple of 8, and an untransposed matrix', () => {
    const s = randomModel({}, 5);
    const w = gpuWeights(rig.device, s);
    const base = {
      x: { buffer: zeros(rig.device, 16) },
      norm: w.gpu.view('layers.0.attn_norm.weight'),
      w: w.gpu.columns('layers.0.attn.wq.weight', 'layers.0.attn.wk.weight', 'layers.0.attn.wv.weight'),
      cache: { buffer: zeros(rig.device, 16) },
      table: zeros(rig.device, 16),
      d: 128,
      nHeads: 4,
      eps: 1e-5,
    };
    expect(() => rig.kernels.qkv({ ...base, d: 384 })).toThrow(/qkv: d must be a multiple of 4 up to 256/);
    expect(() => rig.kernels.qkv({ ...base, nHeads: 32 })).toThrow(/qkv: d 128 must split into 32 heads of a multiple of 8/);
    expect(() => rig.kernels.qkv({ ...base, w: w.gpu.view('tok_emb.weight') })).toThrow(/qkv: w must be a transposed matrix 384 wide/);
  });
});
