// rope.wgsl against ops.rope (4 heads of 32, theta 10000), in place on q rows and on KV-cache rows.
import { describe, expect, it } from 'vitest';
import { ropeTableData } from '../../src/gpu/kernels.ts';
import { rope } from '../../src/model/ops.ts';
import { randomF32, readF32, rng, runBlocks, upload, useKernels, worstError } from './dawn.ts';

const rig = useKernels(['rope']);
const [D, H, HD, LEN, THETA] = [128, 4, 32, 256, 10000];

/**
 * cos/sin come from the same float32 table the reference rounds; the GPU then rounds x1 cos,
 * x2 sin and their sum separately (the reference once), so each output is within a few ulps of
 * |x1| + |x2| (error measured against that; tolerance 1e-6).
 */
const TOL = 1e-6;

/** Error scale of every element of a row: |x_j| + |x_(j +- half)|. */
function pairScale(x: Float32Array): Float64Array {
  const s = new Float64Array(x.length);
  const half = HD / 2;
  for (let i = 0; i < x.length; i++) {
    const j = i % HD;
    s[i] = Math.abs(x[i]) + Math.abs(x[j < half ? i + half : i - half]);
  }
  return s;
}

describe('rope vs ops.rope', () => {
  it('the table holds exactly the reference cos/sin', () => {
    const table = ropeTableData(HD, LEN, THETA);
    // a row rotated by the reference at pos with x = e_j gives (cos, sin) in slots (j, j + half)
    for (const pos of [0, 1, 77, 255])
      for (const j of [0, 5, 15]) {
        const x = new Float32Array(D);
        x[j] = 1;
        rope(x, pos, H, THETA);
        expect([table[(pos * 16 + j) * 2], table[(pos * 16 + j) * 2 + 1]]).toEqual([x[j], x[j + 16]]);
      }
  });

  for (const [rows, pos0] of [
    [1, 0],
    [4, 9],
    [5, 251],
  ])
    it(`q rows: block of ${rows} at pos0 ${pos0}`, async () => {
      const { device, kernels } = rig;
      const x = randomF32(rng(rows * 31 + pos0), rows * D, 3);
      const buffer = upload(device, x);
      const dispatch = kernels.rope({ x: { buffer }, table: kernels.ropeTable(HD, LEN, THETA), nHeads: H, headDim: HD });
      runBlocks(rig, [[rows, pos0]], (pass, block) => dispatch.encode(pass, block));
      const got = await readF32(device, buffer);
      for (let r = 0; r < rows; r++) {
        const row = x.slice(r * D, (r + 1) * D);
        const want = rope(row.slice(), pos0 + r, H, THETA);
        expect(worstError(got.subarray(r * D, (r + 1) * D), want, pairScale(row)), `row ${r}`).toBeLessThanOrEqual(TOL);
      }
    });

  it('KV-cache rows in place (positional view at an element offset), other rows untouched', async () => {
    const { device, kernels } = rig;
    const [rows, pos0, base] = [3, 200, 11];
    const cache = randomF32(rng(8), base + LEN * D);
    const buffer = upload(device, cache);
    const dispatch = kernels.rope({ x: { buffer, base, positional: true }, table: kernels.ropeTable(HD, LEN, THETA), nHeads: H, headDim: HD });
    runBlocks(rig, [[rows, pos0]], (pass, block) => dispatch.encode(pass, block));
    const got = await readF32(device, buffer);
    for (let r = 0; r < rows; r++) {
      const at = base + (pos0 + r) * D;
      const row = cache.slice(at, at + D);
      const want = rope(row.slice(), pos0 + r, H, THETA);
      expect(worstError(got.subarray(at, at + D), want, pairScale(row)), `row ${r}`).toBeLessThanOrEqual(TOL);
    }
    expect(got.subarray(0, base + pos0 * D)).toEqual(cache.subarray(0, base + pos0 * D));
    expect(got.subarray(base + (pos0 + rows) * D)).toEqual(cache.subarray(base + (pos0 + rows) * D));
  });
});
