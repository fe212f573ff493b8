// attention.wgsl against ops.attention over a KV cache at the model's sizes (d 128, 4 heads of 32,
// 256 positions) and at the largest head it takes, and its bit-exact block-size invariance.
import { describe, expect, it } from 'vitest';
import { ATTENTION_MAX_HEAD_DIM } from '../../src/gpu/dispatch.ts';
import { attention } from '../../src/model/ops.ts';
import { bitDifferences, randomF32, readF32, rng, runBlocks, upload, useKernels, worstError, zeros } from './dawn.ts';

const rig = useKernels(['attention']);
const [D, H, HD, LEN] = [128, 4, 32, 256];

/**
 * Outputs are weighted means of values in [-1, 1]; errors are measured against that scale
 * (max |v| = 1): float32 dot products (32 terms), float32 exp and a sum over up to 256 terms
 * stay near 1e-6 of it. Tolerance 1e-5.
 */
const TOL = 1e-5;

function cacheData(seed: number) {
  const random = rng(seed);
  return {
    k: randomF32(random, LEN * D),
    v: randomF32(random, LEN * D),
    // scaled so that the softmax is far from uniform (scores of a few units)
    q: randomF32(random, 8 * D, 4),
  };
}

/** Runs the kernel on blocks (rows, pos0); q row j of block b is q row (pos0 - first pos0 + j). */
async function run(data: ReturnType<typeof cacheData>, blocks: [number, number][], first: number): Promise<Float32Array> {
  const { device, kernels } = rig;
  const out = zeros(device, LEN * D);
  // q and out are positional views shifted by -first rows, so row j of the block at pos0 is q row pos0 - first + j
  const q = upload(device, new Float32Array([...new Float32Array(first * D), ...data.q]));
  const dispatch = kernels.attention({
    q: { buffer: q, positional: true },
    k: { buffer: upload(device, data.k) },
    v: { buffer: upload(device, data.v) },
    out: { buffer: out, positional: true },
    nHeads: H,
    headDim: HD,
  });
  runBlocks(rig, blocks, (pass, block) => dispatch.encode(pass, block));
  return (await readF32(device, out)).slice(first * D, (first + 8) * D);
}

describe('attention vs ops.attention', () => {
  for (const [rows, pos0] of [
    [1, 0],
    [4, 100],
    [4, 252],
    [8, 13],
  ])
    it(`block of ${rows} rows at pos0 ${pos0}`, async () => {
      const data = cacheData(rows * 1000 + pos0);
      const got = await run(data, [[rows, pos0]], pos0);
      for (let r = 0; r < rows; r++) {
        const want = attention(data.q.subarray(r * D, (r + 1) * D), data.k, data.v, pos0 + r + 1, H);
        expect(worstError(got.subarray(r * D, (r + 1) * D), want, 1), `row ${r}`).toBeLessThanOrEqual(TOL);
      }
    });

  it('reads q, k, v at element offsets and strides (fused QKV layout) and writes at an offset', async () => {
    const { device, kernels } = rig;
    const data = cacheData(77);
    const [rows, pos0] = [3, 40];
    // one buffer, rows of [k | v] (stride 2D) starting at element 9; q rows of stride D + 1 at element 3
    const kv = new Float32Array(9 + LEN * 2 * D);
    for (let t = 0; t < LEN; t++) {
      kv.set(data.k.subarray(t * D, (t + 1) * D), 9 + t * 2 * D);
      kv.set(data.v.subarray(t * D, (t + 1) * D), 9 + t * 2 * D + D);
    }
    const q = new Float32Array(3 + rows * (D + 1));
    for (let r = 0; r < rows; r++) q.set(data.q.subarray(r * D, (r + 1) * D), 3 + r * (D + 1));
    const kvBuffer = upload(device, kv);
    const out = zeros(device, 5 + rows * D);
    const dispatch = kernels.attention({
      q: { buffer: upload(device, q), base: 3, stride: D + 1 },
      k: { buffer: kvBuffer, base: 9, stride: 2 * D },
      v: { buffer: kvBuffer, base: 9 + D, stride: 2 * D },
      out: { buffer: out, base: 5 },
      nHeads: H,
      headDim: HD,
    });
    runBlocks(rig, [[rows, pos0]], (pass, block) => dispatch.encode(pass, block));
    const got = await readF32(device, out);
    for (let r = 0; r < rows; r++) {
      const want = attention(data.q.subarray(r * D, (r + 1) * D), data.k, data.v, pos0 + r + 1, H);
      expect(worstError(got.subarray(5 + r * D, 5 + (r + 1) * D), want, 1), `row ${r}`).toBeLessThanOrEqual(TOL);
    }
  });
});

describe('attention head sizes', () => {
  it('takes heads up to ATTENTION_MAX_HEAD_DIM (2 heads of 64 here), refuses larger ones by name', async () => {
    const { device, kernels } = rig;
    const data = cacheData(91);
    const [rows, pos0] = [2, 30];
    const out = zeros(device, rows * D);
    const dispatch = kernels.attention({
      q: { buffer: upload(device, data.q) },
      k: { buffer: upload(device, data.k) },
      v: { buffer: upload(device, data.v) },
      out: { buffer: out },
      nHeads: D / ATTENTION_MAX_HEAD_DIM,
      headDim: ATTENTION_MAX_HEAD_DIM,
    });
    runBlocks(rig, [[rows, pos0]], (pass, block) => dispatch.encode(pass, block));
    const got = await readF32(device, out);
    for (let r = 0; r < rows; r++) {
      const want = attention(data.q.subarray(r * D, (r + 1) * D), data.k, data.v, pos0 + r + 1, D / ATTENTION_MAX_HEAD_DIM);
      expect(worstError(got.subarray(r * D, (r + 1) * D), want, 1), `row ${r}`).toBeLessThanOrEqual(TOL);
    }
    const tooBig = { buffer: out };
    expect(() => kernels.attention({ q: tooBig, k: tooBig, v: tooBig, out: tooBig, nHeads: 1, headDim: ATTENTION_MAX_HEAD_DIM + 1 })).toThrow(/headDim/);
  });
});

describe('attention block-size invariance (bit-exact)', () => {
  it('a block of 4 equals 4 blocks of 1, and other splits, at pos0 = 120', async () => {
    const data = cacheData(3);
    const want = await run(data, [[4, 120]], 120);
    for (const blocks of [
      [[1, 120], [1, 121], [1, 122], [1, 123]],
      [[2, 120], [2, 122]],
      [[3, 120], [1, 123]],
      [[1, 120], [3, 121]],
    ] as [number, number][][]) {
      const got = await run(data, blocks, 120);
      expect(bitDifferences(got.slice(0, 4 * D), want.slice(0, 4 * D)), JSON.stringify(blocks)).toEqual([]);
    }
  });

  it('a prefill block of 8 rows from position 0 equals single rows', async () => {
    const data = cacheData(4);
    const want = await run(data, [[8, 0]], 0);
    const got = await run(data, Array.from({ length: 8 }, (_, i): [number, number] => [1, i]), 0);
    expect(bitDifferences(got, want)).toEqual([]);
  });
});
