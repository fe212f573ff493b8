// softmax.wgsl: probabilities with a temperature against a float64 softmax, over rows of 1024 logits.
import { describe, expect, it } from 'vitest';
import { bitDifferences, randomF32, readF32, rng, runBlocks, upload, useKernels, worstError, zeros } from './dawn.ts';

const rig = useKernels(['softmax']);
const V = 1024;

/**
 * float32 exp of arguments down to about -60 (WGSL allows 3 + 2|x| ulps: up to ~7e-6 relative),
 * the sum over 1024 terms and a reciprocal: tolerance 1e-5 relative to each probability.
 */
const RTOL = 1e-5;

function softmax64(x: Float32Array, temperature: number): Float64Array {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  const e = Float64Array.from(x, (v) => Math.exp((v - max) / temperature));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

describe('softmax with temperature', () => {
  it('matches a float64 softmax at T = 0.7, then at T = 1.3 after setTemperature', async () => {
    const { device, kernels } = rig;
    const rows = 3;
    const logits = randomF32(rng(1), rows * V, 20);
    const out = zeros(device, rows * V);
    const s = kernels.softmax({ logits: { buffer: upload(device, logits) }, out: { buffer: out }, n: V, temperature: 0.7 });
    for (const t of [0.7, 1.3]) {
      s.setTemperature(t);
      runBlocks(rig, [[rows, 0]], (pass, block) => s.encode(pass, block));
      const got = await readF32(device, out);
      for (let r = 0; r < rows; r++) {
        const want = softmax64(logits.subarray(r * V, (r + 1) * V), t);
        expect(worstError(got.subarray(r * V, (r + 1) * V), want, want), `T ${t} row ${r}`).toBeLessThanOrEqual(RTOL);
      }
    }
  });

  it('is bit-identical per row whatever the block size', async () => {
    const { device, kernels } = rig;
    const logits = upload(device, randomF32(rng(2), 4 * V, 10));
    const results: Float32Array[] = [];
    for (const blocks of [[[4, 0]], [[1, 0], [1, 1], [1, 2], [1, 3]]] as [number, number][][]) {
      const out = zeros(device, 4 * V);
      const s = kernels.softmax({ logits: { buffer: logits, positional: true }, out: { buffer: out, positional: true }, n: V, temperature: 0.8 });
      runBlocks(rig, blocks, (pass, block) => s.encode(pass, block));
      results.push(await readF32(device, out));
    }
    expect(bitDifferences(results[1], results[0])).toEqual([]);
  });
});
