// ffn.wgsl (SwiGLU gate) against ops.siluMul, at the model's hidden width 384.
import { describe, expect, it } from 'vitest';
import { siluMul } from '../../src/model/ops.ts';
import { bitDifferences, randomF32, readF32, rng, runBlocks, upload, useKernels, worstError, zeros } from './dawn.ts';

const rig = useKernels(['ffn']);
const HID = 384;

/** float32 exp (a few ulps for |g| <= 10), a divide and a product: tolerance 1e-5 relative to |output|. */
const RTOL = 1e-5;

describe('siluMul vs ops.siluMul', () => {
  it('separate gate and up buffers, block of 4', async () => {
    const { device, kernels } = rig;
    const random = rng(1);
    const rows = 4;
    const gate = randomF32(random, rows * HID, 10);
    const up = randomF32(random, rows * HID, 3);
    const out = zeros(device, rows * HID);
    const f = kernels.siluMul({ gate: { buffer: upload(device, gate) }, up: { buffer: upload(device, up) }, out: { buffer: out }, n: HID });
    runBlocks(rig, [[rows, 0]], (pass, block) => f.encode(pass, block));
    const got = await readF32(device, out);
    const want = siluMul(gate, up);
    expect(worstError(got, want, Float64Array.from(want, Math.abs))).toBeLessThanOrEqual(RTOL);
  });

  it('gate and up as two views of one [W1; W3] matmul output (rows of 2 x 384), output at a positional view', async () => {
    const { device, kernels } = rig;
    const random = rng(2);
    const [rows, pos0] = [3, 7];
    const gu = randomF32(random, rows * 2 * HID, 6);
    const guBuffer = upload(device, gu);
    const out = zeros(device, (pos0 + rows) * HID);
    const f = kernels.siluMul({
      gate: { buffer: guBuffer, stride: 2 * HID },
      up: { buffer: guBuffer, base: HID, stride: 2 * HID },
      out: { buffer: out, positional: true },
      n: HID,
    });
    runBlocks(rig, [[rows, pos0]], (pass, block) => f.encode(pass, block));
    const got = await readF32(device, out);
    for (let r = 0; r < rows; r++) {
      const want = siluMul(gu.subarray(r * 2 * HID, r * 2 * HID + HID), gu.subarray(r * 2 * HID + HID, (r + 1) * 2 * HID));
      const row = got.subarray((pos0 + r) * HID, (pos0 + r + 1) * HID);
      expect(worstError(row, want, Float64Array.from(want, Math.abs)), `row ${r}`).toBeLessThanOrEqual(RTOL);
    }
    expect(got.subarray(0, pos0 * HID).every((v) => v === 0)).toBe(true);
  });

  it('is bit-identical per row whatever the block size', async () => {
    const { device, kernels } = rig;
    const random = rng(3);
    const g = upload(device, randomF32(random, 5 * HID, 8));
    const u = upload(device, randomF32(random, 5 * HID));
    const results: Float32Array[] = [];
    for (const blocks of [[[5, 0]], [[1, 0], [1, 1], [1, 2], [1, 3], [1, 4]], [[2, 0], [3, 2]]] as [number, number][][]) {
      const out = zeros(device, 5 * HID);
      const f = kernels.siluMul({ gate: { buffer: g, positional: true }, up: { buffer: u, positional: true }, out: { buffer: out, positional: true }, n: HID });
      runBlocks(rig, blocks, (pass, block) => f.encode(pass, block));
      results.push(await readF32(device, out));
    }
    for (const r of results.slice(1)) expect(bitDifferences(r, results[0])).toEqual([]);
  });
});
