// mtp-input.wgsl (the embedding k positions ahead, both norms, their concatenation, the projection)
// against the CPU oracle (ReferenceModel.mtp's first lines: ops.rmsnorm, ops.matvec), token ids
// read by position from the token buffer (ids >= vocab clamped), and bit-exact batch-size invariance.
import { describe, expect, it } from 'vitest';
import { matvec, rmsnorm } from '../../src/model/ops.ts';
import { bitDifferences, upload, useKernels, worstError, zeros } from '../helpers/dawn.ts';
import { gpuWeights, productScale, randomModel, randomRows, row, runOn } from '../helpers/fused.ts';

const rig = useKernels(['mtp_input']);
const S = 256;
const K = 1; // module 1 reads the token one position ahead

/** Error scale of an output: sum_k |a_k P_nk| over the 2d inputs; a chain of 256 fmas (1.5e-5 worst case, 1e-6 typically). Tolerance 1e-5. */
const RTOL = 1e-5;

function setup(seed: number) {
  const weights = randomModel({}, seed);
  const { d_model: d, vocab_size: V, norm_eps: eps } = weights.config;
  const w = gpuWeights(rig.device, weights);
  const h = randomRows(seed + 1, S, d, 2);
  const ids = Uint32Array.from({ length: S + 4 }, (_, i) => (i * 37 + seed) % V);
  ids[50 + K] = V + 5; // out of range: clamps to V - 1
  const use = (out: GPUBuffer) =>
    rig.kernels.mtpInput({
      x: { buffer: upload(rig.device, h), positional: true },
      tokens: { buffer: upload(rig.device, ids), base: K, positional: true },
      table: w.gpu.view('tok_emb.weight'),
      hnorm: w.gpu.view('mtp.0.hnorm.weight'),
      enorm: w.gpu.view('mtp.0.enorm.weight'),
      proj: w.gpu.columns('mtp.0.proj.weight'),
      out: { buffer: out, positional: true },
      d,
      vocab: V,
      eps,
    });
  const reference = (pos: number) => {
    const token = Math.min(ids[pos + K], V - 1);
    const joined = new Float32Array(2 * d);
    rmsnorm(row(h, pos, d), w.cpu('mtp.0.hnorm.weight'), eps, joined.subarray(0, d));
    rmsnorm(row(w.cpu('tok_emb.weight'), token, d), w.cpu('mtp.0.enorm.weight'), eps, joined.subarray(d));
    return { want: matvec(w.cpu('mtp.0.proj.weight'), joined, d), bound: productScale(w.cpu('mtp.0.proj.weight'), joined, d) };
  };
  return { d, use, reference };
}

const outputAfter = (s: ReturnType<typeof setup>, blocks: [number, number][]) => {
  const out = zeros(rig.device, S * s.d);
  return runOn(rig, s.use(out), blocks, out);
};

describe('mtp_input vs the CPU oracle', () => {
  for (const [rows, pos0] of [
    [1, 0],
    [2, 49],
    [4, 100],
    [6, 200],
    [64, 0],
  ])
    it(`block of ${rows} at pos0 ${pos0}`, async () => {
      const s = setup(rows + pos0);
      const got = await outputAfter(s, [[rows, pos0]]);
      for (let r = 0; r < rows; r++) {
        const { want, bound } = s.reference(pos0 + r);
        expect(worstError(row(got, pos0 + r, s.d), want, bound), `row ${r}`).toBeLessThanOrEqual(RTOL);
      }
    });
});

describe('mtp_input batch-size invariance (bit-exact)', () => {
  it('a block of 5 equals 5 blocks of 1 and a 4 + 1 split', async () => {
    const s = setup(3);
    const whole = await outputAfter(s, [[5, 80]]);
    expect(
      bitDifferences(
        whole,
        await outputAfter(
          s,
          Array.from({ length: 5 }, (_, r): [number, number] => [1, 80 + r]),
        ),
      ),
    ).toEqual([]);
    expect(
      bitDifferences(
        whole,
        await outputAfter(s, [
          [4, 80],
          [1, 84],
        ]),
      ),
    ).toEqual([]);
  });
});
