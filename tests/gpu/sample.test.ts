// sample.wgsl: the drawn token and the written distribution against the float64 CPU oracle
// (src/model/ops.ts samplingDistribution + sampleIndex), over rows of 1024 logits.
import { describe, expect, it } from 'vitest';
import { sampleIndex, samplingDistribution } from '../../src/model/ops.ts';
import { bitDifferences, randomF32, readF32, readU32, rng, runBatches, upload, useKernels, zeros } from '../helpers/dawn.ts';

const rig = useKernels(['sample']);
const V = 1024;

/**
 * float32 exp (WGSL: 3 + 2|x| ulp, ~1e-5 relative here at T >= 0.5 and logits within +-8), sums of
 * 1024 terms and a division: 2e-5 relative to each probability.
 */
const RTOL = 2e-5;

/** Logits like a language model's: a few large ones over a spread of small ones. */
function logitsRows(seed: number, rows: number): Float32Array {
  const random = rng(seed);
  const x = randomF32(random, rows * V, 3);
  for (let r = 0; r < rows; r++) for (let k = 0; k < 12; k++) x[r * V + Math.floor(random() * V)] += 5 * random();
  return x;
}

describe('sample kernel', () => {
  const settings = [
    { temperature: 1, topP: 1 },
    { temperature: 0.7, topP: 0.9 },
    { temperature: 1.3, topP: 0.5 },
    { temperature: 0.5, topP: 0.05 },
  ];

  /** Runs the sampling kernel on one row per uniform (logits rows at `logitsStride`; 0: all read row 0). */
  function sampleRows(logits: Float32Array, uniforms: Float32Array, setting: { temperature: number; topP: number }, logitsStride?: number) {
    const { device, kernels } = rig;
    const rows = uniforms.length;
    const probs = zeros(device, rows * V);
    const ids = zeros(device, rows);
    const s = kernels.sample({
      logits: { buffer: upload(device, logits), stride: logitsStride },
      uniforms: { buffer: upload(device, uniforms) },
      probs: { buffer: probs },
      out: { buffer: ids },
      n: V,
      ...setting,
    });
    runBatches(rig, [[rows, 0]], (pass, block) => s.encode(pass, block));
    return { s, probs, ids };
  }

  it.each(settings)('writes the CPU distribution and draws the CPU token (T $temperature, top-p $topP)', async (setting) => {
    const { device } = rig;
    const rows = 4;
    const logits = logitsRows(7, rows);
    const uniforms = Float32Array.from([0.013, 0.5, 0.87, 0.999]);
    const { probs, ids } = sampleRows(logits, uniforms, setting);
    const got = await readF32(device, probs);
    const tokens = await readU32(device, ids);
    for (let r = 0; r < rows; r++) {
      const want = samplingDistribution(logits.subarray(r * V, (r + 1) * V), setting.temperature, setting.topP);
      const row = got.subarray(r * V, (r + 1) * V);
      // Same nucleus (0 exactly outside it), same probabilities within tolerance.
      const support = (a: ArrayLike<number>) => Array.from(a, (v) => v > 0);
      expect(support(row), `row ${r} nucleus`).toEqual(support(want));
      let worst = 0;
      for (let i = 0; i < V; i++) if (want[i] > 0) worst = Math.max(worst, Math.abs(row[i] - want[i]) / want[i]);
      expect(worst, `row ${r}`).toBeLessThanOrEqual(RTOL);
      expect(tokens[r], `row ${r} token`).toBe(sampleIndex(want, uniforms[r]));
      expect(row[tokens[r]]).toBeGreaterThan(0);
    }
  });

  it('is an inverse CDF: 128 uniforms on one row (stride-0 view) give the CPU draws, and top-p 0.05 only the argmax', async () => {
    const { device } = rig;
    const rows = 128;
    const logits = logitsRows(11, 1);
    const uniforms = Float32Array.from({ length: rows }, (_, r) => (r + 0.5) / rows);
    const setting = { temperature: 0.8, topP: 0.95 };
    const { s, ids } = sampleRows(logits, uniforms, setting, 0);
    const want = samplingDistribution(logits, setting.temperature, setting.topP);
    const tokens = Array.from(await readU32(device, ids));
    expect(tokens).toEqual(Array.from(uniforms, (u) => sampleIndex(want, u)));
    // Many distinct tokens were drawn, in order of index cumulative mass: non-decreasing in u.
    expect(new Set(tokens).size).toBeGreaterThan(10);
    expect(tokens.every((t, i) => i === 0 || t >= tokens[i - 1])).toBe(true);

    s.setSampling({ temperature: 0.8, topP: 0.05 });
    runBatches(rig, [[rows, 0]], (pass, block) => s.encode(pass, block));
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    expect(new Set(await readU32(device, ids))).toEqual(new Set([best]));
  });

  it('is bit-identical per row whatever the row batch size (probabilities and tokens)', async () => {
    const { device, kernels } = rig;
    const logits = upload(device, logitsRows(3, 4));
    const uniforms = upload(device, Float32Array.from([0.1, 0.4, 0.6, 0.9]));
    const results: [Float32Array, Uint32Array][] = [];
    for (const blocks of [
      [[4, 0]],
      [
        [1, 0],
        [1, 1],
        [1, 2],
        [1, 3],
      ],
    ] as [number, number][][]) {
      const probs = zeros(device, 4 * V);
      const ids = zeros(device, 4);
      const s = kernels.sample({
        logits: { buffer: logits, positional: true },
        uniforms: { buffer: uniforms, positional: true },
        probs: { buffer: probs, positional: true },
        out: { buffer: ids, positional: true },
        n: V,
        temperature: 0.9,
        topP: 0.8,
      });
      runBatches(rig, blocks, (pass, block) => s.encode(pass, block));
      results.push([await readF32(device, probs), await readU32(device, ids)]);
    }
    expect(bitDifferences(results[1][0], results[0][0])).toEqual([]);
    expect(Array.from(results[1][1])).toEqual(Array.from(results[0][1]));
  });

  it('rejects rows longer than it holds and bad settings', () => {
    const { device, kernels } = rig;
    const b = zeros(device, 4);
    const view = { buffer: b };
    expect(() => kernels.sample({ logits: view, uniforms: view, probs: view, out: view, n: 4096, temperature: 1, topP: 1 })).toThrow(
      RangeError,
    );
    expect(() => kernels.sample({ logits: view, uniforms: view, probs: view, out: view, n: 4, temperature: 0, topP: 1 })).toThrow(
      RangeError,
    );
    expect(() => kernels.sample({ logits: view, uniforms: view, probs: view, out: view, n: 4, temperature: 1, topP: 0 })).toThrow(
      RangeError,
    );
  });
});
