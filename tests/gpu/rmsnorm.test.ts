// rmsnorm.wgsl against ops.rmsnorm: one norm over a block of rows, and the MTP input pair
// [norm(h) * hnorm ; norm(emb) * enorm] written side by side (2d wide).
import { describe, expect, it } from 'vitest';
import { rmsnorm } from '../../src/model/ops.ts';
import { bitDifferences, randomF32, readF32, rng, runBlocks, upload, useKernels, worstError, zeros } from './dawn.ts';

const rig = useKernels(['rmsnorm']);
const [D, EPS] = [128, 1e-5];

/**
 * A float32 sum of squares (fma chains of 2, then a 64-leaf tree), sqrt, a divide and two
 * products: a few ulps of each output. Tolerance 1e-5 relative to |output|.
 */
const RTOL = 1e-5;

const absOf = (x: Float32Array) => Float64Array.from(x, Math.abs);

describe('rmsnorm vs ops.rmsnorm', () => {
  it('one norm, block of 5 rows (x scaled from 1e-3 to 1e3)', async () => {
    const { device, kernels } = rig;
    const random = rng(1);
    const rows = 5;
    const x = randomF32(random, rows * D);
    for (let r = 0; r < rows; r++) for (let i = 0; i < D; i++) x[r * D + i] *= 10 ** (r * 1.5 - 3);
    const w = randomF32(random, D, 2);
    const out = zeros(device, rows * D);
    const n = kernels.rmsnorm({ x: { buffer: upload(device, x) }, weight: { buffer: upload(device, w) }, out: { buffer: out }, n: D, eps: EPS });
    runBlocks(rig, [[rows, 0]], (pass, block) => n.encode(pass, block));
    const got = await readF32(device, out);
    for (let r = 0; r < rows; r++) {
      const want = rmsnorm(x.subarray(r * D, (r + 1) * D), w, EPS);
      expect(worstError(got.subarray(r * D, (r + 1) * D), want, absOf(want)), `row ${r}`).toBeLessThanOrEqual(RTOL);
    }
  });

  it('MTP pair: h from a positional history at pos0, embeddings from block rows, weights at offsets', async () => {
    const { device, kernels } = rig;
    const random = rng(2);
    const [rows, pos0] = [3, 50];
    const history = randomF32(random, 256 * D, 4); // h^(k-1) by absolute position
    const emb = randomF32(random, rows * D, 0.05);
    const weights = randomF32(random, 3 + 2 * D, 2); // hnorm at 3, enorm at 3 + D
    const wBuffer = upload(device, weights);
    const out = zeros(device, rows * 2 * D);
    const n = kernels.rmsnorm({
      x: { buffer: upload(device, history), positional: true },
      weight: { buffer: wBuffer, base: 3 },
      second: { x: { buffer: upload(device, emb) }, weight: { buffer: wBuffer, base: 3 + D } },
      out: { buffer: out },
      n: D,
      eps: EPS,
    });
    runBlocks(rig, [[rows, pos0]], (pass, block) => n.encode(pass, block));
    const got = await readF32(device, out);
    const hnorm = weights.subarray(3, 3 + D);
    const enorm = weights.subarray(3 + D, 3 + 2 * D);
    for (let r = 0; r < rows; r++) {
      const want = new Float32Array(2 * D);
      rmsnorm(history.subarray((pos0 + r) * D, (pos0 + r + 1) * D), hnorm, EPS, want.subarray(0, D));
      rmsnorm(emb.subarray(r * D, (r + 1) * D), enorm, EPS, want.subarray(D));
      expect(worstError(got.subarray(r * 2 * D, (r + 1) * 2 * D), want, absOf(want)), `row ${r}`).toBeLessThanOrEqual(RTOL);
    }
  });

  it('is bit-identical per row whatever the block size', async () => {
    const { device, kernels } = rig;
    const random = rng(3);
    const x = upload(device, randomF32(random, 6 * D));
    const w = upload(device, randomF32(random, D));
    const results: Float32Array[] = [];
    for (const sizes of [[6], [1, 1, 1, 1, 1, 1], [4, 2], [1, 3, 2]]) {
      const out = zeros(device, 6 * D);
      const n = kernels.rmsnorm({ x: { buffer: x, positional: true }, weight: { buffer: w }, out: { buffer: out, positional: true }, n: D, eps: EPS });
      let pos = 0;
      const blocks = sizes.map((s): [number, number] => [s, (pos += s) - s]);
      runBlocks(rig, blocks, (pass, block) => n.encode(pass, block));
      results.push(await readF32(device, out));
    }
    for (const r of results.slice(1)) expect(bitDifferences(r, results[0])).toEqual([]);
  });
});
