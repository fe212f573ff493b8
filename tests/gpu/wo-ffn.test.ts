// wo-ffn.wgsl (Wo and its residual, then norm, SwiGLU, W2 and its residual) against the CPU oracle
// (ops.matvec, ops.rmsnorm, ops.siluMul) at decode and prefill row batch sizes and at hidden widths
// that use one or both halves of its activation memory, and its bit-exact batch-size invariance.
import { describe, expect, it } from 'vitest';
import { addInPlace, matvec, rmsnorm, siluMul } from '../../src/model/ops.ts';
import { bitDifferences, upload, useKernels, worstError, zeros } from '../helpers/dawn.ts';
import { gpuWeights, productScale, randomModel, randomRows, row, runOn } from '../helpers/fused.ts';

const rig = useKernels(['wo_ffn']);
const S = 256;

/**
 * Error scale of an output x_n = x'_n + sum_j act_j W2_nj: |x'_n| + sum_j |act_j W2_nj|, plus what
 * act's own error can reach through W2 (sum_j |W2_nj| times act_j's scale: its gate and up
 * products' scales through silu and the product). Chains of at most 512 fmas: within about
 * 512 * 2^-24 = 3e-5 of the scale in the worst case, sqrt(512) * 2^-24 = 1.3e-6 typically.
 * Tolerance 1e-5.
 */
const RTOL = 1e-5;

function setup(hidden: number, seed: number) {
  const weights = randomModel({ ffn_hidden: hidden }, seed);
  const { d_model: d, norm_eps: eps } = weights.config;
  const w = gpuWeights(rig.device, weights);
  const x = randomRows(seed + 1, S, d);
  const att = randomRows(seed + 2, S, d);
  const p = 'layers.0';
  const use = (stream: GPUBuffer) =>
    rig.kernels.woFfn({
      x: { buffer: stream, positional: true },
      att: { buffer: upload(rig.device, att), positional: true },
      wo: w.gpu.columns(`${p}.attn.wo.weight`),
      norm: w.gpu.view(`${p}.ffn_norm.weight`),
      w13: w.gpu.columns(`${p}.ffn.w1.weight`, `${p}.ffn.w3.weight`),
      w2: w.gpu.columns(`${p}.ffn.w2.weight`),
      d,
      hidden,
      eps,
    });
  const reference = (pos: number) => {
    const [wo, w1, w3, w2] = ['attn.wo', 'ffn.w1', 'ffn.w3', 'ffn.w2'].map((n) => w.cpu(`${p}.${n}.weight`));
    const h = addInPlace(row(x, pos, d).slice(), matvec(wo, row(att, pos, d), d));
    const a = rmsnorm(h, w.cpu(`${p}.ffn_norm.weight`), eps);
    const [g, u] = [matvec(w1, a, hidden), matvec(w3, a, hidden)];
    const [bg, bu] = [productScale(w1, a, hidden), productScale(w3, a, hidden)];
    const act = siluMul(g, u);
    // act_j's scale: |silu'(g)| |u| scale(g) + |silu(g)| scale(u), silu'(g) = s (1 + g (1 - s)), s = sigmoid(g).
    const actScale = act.map((_, j) => {
      const s = 1 / (1 + Math.exp(-g[j]));
      return Math.abs(s * (1 + g[j] * (1 - s)) * u[j]) * bg[j] + Math.abs(g[j] * s) * bu[j];
    });
    const want = addInPlace(h.slice(), matvec(w2, act, d));
    const through = productScale(w2, actScale, d);
    const bound = productScale(w2, act, d).map((b, n) => b + through[n] + Math.abs(h[n]) + productScale(wo, row(att, pos, d), d)[n]);
    return { want, bound };
  };
  return { d, x, use, reference };
}

async function streamAfter(blocks: [number, number][], s: ReturnType<typeof setup>): Promise<Float32Array> {
  const stream = upload(rig.device, s.x);
  return runOn(rig, s.use(stream), blocks, stream);
}

describe('wo_ffn vs the CPU oracle', () => {
  const cases: [rows: number, pos0: number, hidden: number][] = [
    [1, 0, 384],
    [3, 100, 384],
    [4, 252, 384],
    [5, 17, 384],
    [64, 0, 384],
    [4, 30, 512],
    [2, 30, 128],
    [9, 3, 136],
  ];
  for (const [rows, pos0, hidden] of cases)
    it(`block of ${rows} at pos0 ${pos0}, hidden ${hidden}`, async () => {
      const s = setup(hidden, rows + hidden);
      const got = await streamAfter([[rows, pos0]], s);
      for (let r = 0; r < rows; r++) {
        const { want, bound } = s.reference(pos0 + r);
        expect(worstError(row(got, pos0 + r, s.d), want, bound), `row ${r}`).toBeLessThanOrEqual(RTOL);
      }
      // The rows around the block are the stream as it was.
      for (const pos of [pos0 - 1, pos0 + rows])
        if (pos >= 0 && pos < S) expect(bitDifferences(row(got, pos, s.d), row(s.x, pos, s.d))).toEqual([]);
    });
});

describe('wo_ffn batch-size invariance (bit-exact)', () => {
  it('a block of 6 equals 6 blocks of 1 and a 4 + 2 split, at pos0 = 40', async () => {
    const s = setup(384, 7);
    const whole = await streamAfter([[6, 40]], s);
    expect(
      bitDifferences(
        whole,
        await streamAfter(
          Array.from({ length: 6 }, (_, r): [number, number] => [1, 40 + r]),
          s,
        ),
      ),
    ).toEqual([]);
    expect(
      bitDifferences(
        whole,
        await streamAfter(
          [
            [4, 40],
            [2, 44],
          ],
          s,
        ),
      ),
    ).toEqual([]);
  });
});

describe('wo_ffn limits, by name', () => {
  it('refuses a hidden layer wider than its memory or not a multiple of 4', () => {
    const s = setup(384, 9);
    const stream = zeros(rig.device, 16);
    const use = s.use(stream); // a valid use builds
    expect(use.kernel).toBe('wo_ffn');
    const w = gpuWeights(rig.device, randomModel({ ffn_hidden: 1024 }, 9));
    const p = 'layers.0';
    const wide = {
      x: { buffer: stream },
      att: { buffer: stream },
      wo: w.gpu.columns(`${p}.attn.wo.weight`),
      norm: w.gpu.view(`${p}.ffn_norm.weight`),
      w13: w.gpu.columns(`${p}.ffn.w1.weight`, `${p}.ffn.w3.weight`),
      w2: w.gpu.columns(`${p}.ffn.w2.weight`),
      d: 128,
      hidden: 1024,
      eps: 1e-5,
    };
    expect(() => rig.kernels.woFfn(wide)).toThrow(/wo_ffn: hidden must be a multiple of 4 up to 512, got 1024/);
  });
});
