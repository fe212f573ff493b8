// attention.wgsl against ops.attention over a Q | K | V cache at the shipped models' sizes (d 128,
// 4 heads of 32, 256 positions), at heads of 64 and 16 dims (the head size is a pipeline constant,
// so each is its own compile), and its bit-exact block-size invariance.
import { describe, expect, it } from 'vitest';
import { attention } from '../../src/model/ops.ts';
import { bitDifferences, randomF32, readF32, rng, runBlocks, upload, useKernels, worstError, zeros, type KernelRig } from './dawn.ts';
import { row } from './fused.ts';

const [D, LEN] = [128, 256];
const rigs = { 32: useKernels(['attention'], 32), 64: useKernels(['attention'], 64), 16: useKernels(['attention'], 16) };

/**
 * Outputs are weighted means of values in [-1, 1]; errors are measured against that scale
 * (max |v| = 1): float32 dot products (up to 64 terms), float32 exp and a sum over up to 256 terms
 * stay near 1e-6 of it. Tolerance 1e-5.
 */
const TOL = 1e-5;

/** A cache of LEN positions, rows [q | k | v]; q scaled so that the softmax is far from uniform. */
function cacheData(seed: number) {
  const random = rng(seed);
  const q = randomF32(random, LEN * D, 4);
  const k = randomF32(random, LEN * D);
  const v = randomF32(random, LEN * D);
  const cache = new Float32Array(LEN * 3 * D);
  for (let t = 0; t < LEN; t++) cache.set([...row(q, t, D), ...row(k, t, D), ...row(v, t, D)], t * 3 * D);
  return { q, k, v, cache };
}

/** Runs the kernel on blocks (rows, pos0) of the cache at element `base`; returns the output rows by position. */
async function run(rig: KernelRig, data: ReturnType<typeof cacheData>, blocks: [number, number][], headDim = 32, base = 0): Promise<Float32Array> {
  const out = zeros(rig.device, LEN * D);
  const cache = upload(rig.device, Float32Array.from([...new Float32Array(base), ...data.cache]));
  const dispatch = rig.kernels.attention({ cache: { buffer: cache, base }, out: { buffer: out, positional: true }, d: D, nHeads: D / headDim });
  runBlocks(rig, blocks, (pass, block) => dispatch.encode(pass, block));
  return readF32(rig.device, out);
}

function expectRows(got: Float32Array, data: ReturnType<typeof cacheData>, rows: number, pos0: number, nHeads: number) {
  for (let r = 0; r < rows; r++) {
    const want = attention(row(data.q, pos0 + r, D), data.k, data.v, pos0 + r + 1, nHeads);
    expect(worstError(row(got, pos0 + r, D), want, 1), `row ${r}`).toBeLessThanOrEqual(TOL);
  }
}

describe('attention vs ops.attention', () => {
  for (const [rows, pos0] of [[1, 0], [4, 100], [4, 252], [8, 13], [64, 0]])
    it(`block of ${rows} rows at pos0 ${pos0}`, async () => {
      const data = cacheData(rows * 1000 + pos0);
      expectRows(await run(rigs[32], data, [[rows, pos0]]), data, rows, pos0, 4);
    });

  it('reads the cache at an element offset', async () => {
    const data = cacheData(77);
    expectRows(await run(rigs[32], data, [[3, 40]], 32, 9), data, 3, 40, 4);
  });

  for (const headDim of [64, 16] as const)
    it(`heads of ${headDim} dims (a pipeline of their own)`, async () => {
      const data = cacheData(91 + headDim);
      expectRows(await run(rigs[headDim], data, [[4, 30]], headDim), data, 4, 30, D / headDim);
    });

  it('refuses heads other than the compiled size, and heads beyond its limit, by name', () => {
    const out = { buffer: zeros(rigs[32].device, 16) };
    const cache = { buffer: zeros(rigs[32].device, 16) };
    expect(() => rigs[32].kernels.attention({ cache, out, d: D, nHeads: 2 })).toThrow(/heads of 64 dims, but the kernel was compiled for 32/);
    expect(() => rigs[32].kernels.attention({ cache, out, d: 256, nHeads: 2 })).toThrow(/headDim 128 > 64/);
  });
});

describe('attention block-size invariance (bit-exact)', () => {
  it('a block of 4 equals 4 blocks of 1, and other splits, at pos0 = 120', async () => {
    const data = cacheData(3);
    const want = await run(rigs[32], data, [[4, 120]]);
    for (const blocks of [
      [[1, 120], [1, 121], [1, 122], [1, 123]],
      [[2, 120], [2, 122]],
      [[3, 120], [1, 123]],
    ] as [number, number][][])
      expect(bitDifferences(await run(rigs[32], data, blocks), want), JSON.stringify(blocks)).toEqual([]);
  });

  it('a prefill block of 8 rows from position 0 equals single rows', async () => {
    const data = cacheData(4);
    const want = await run(rigs[32], data, [[8, 0]]);
    const got = await run(rigs[32], data, Array.from({ length: 8 }, (_, i): [number, number] => [1, i]));
    expect(bitDifferences(got, want)).toEqual([]);
  });
});
