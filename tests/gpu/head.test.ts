// head.wgsl (final norm, logits against the tied embedding, argmax) against the CPU oracle
// (ops.rmsnorm, ops.matvec, ops.argmax): logits at decode row batch sizes, the argmax of what the
// kernel wrote (ties to the lowest index, NaNs skipped), drafts written into the token buffer for
// the next gather, a draft tree's candidates (ops.topCandidates), and bit-exact batch-size invariance.
import { describe, expect, it } from 'vitest';
import { argmax, matvec, rmsnorm, topCandidates } from '../../src/model/ops.ts';
import { bitDifferences, readF32, readU32, runBatches, runPass, upload, useKernels, worstError, zeros } from '../helpers/dawn.ts';
import { gpuWeights, productScale, randomModel, randomRows, row } from '../helpers/fused.ts';
import type { Weights } from '../../src/model/weights.ts';

const rig = useKernels(['head', 'embedding']);
const S = 256;

/** Error scale of a logit: sum_k |a_k E_nk|; a chain of d = 128 fmas (see qkv.test.ts). Tolerance 1e-5. */
const RTOL = 1e-5;

function setup(weights: Weights, x: Float32Array, idsStride = 1) {
  const { d_model: d, vocab_size: V, norm_eps: eps } = weights.config;
  const w = gpuWeights(rig.device, weights);
  const logits = zeros(rig.device, S * V);
  const ids = zeros(rig.device, S + 8);
  const dispatch = rig.kernels.head({
    x: { buffer: upload(rig.device, x), positional: true },
    norm: w.gpu.view('norm.weight'),
    table: w.gpu.columns('tok_emb.weight'),
    logits: { buffer: logits },
    ids: { buffer: ids, positional: idsStride === 1, stride: idsStride },
    d,
    n: V,
    eps,
  });
  const run = async (blocks: [number, number][]) => {
    runBatches(rig, blocks, (pass, block) => dispatch.encode(pass, block));
    return { logits: await readF32(rig.device, logits), ids: await readU32(rig.device, ids) };
  };
  const reference = (pos: number) => {
    const a = rmsnorm(row(x, pos, d), w.cpu('norm.weight'), eps);
    return { want: matvec(w.cpu('tok_emb.weight'), a, V), bound: productScale(w.cpu('tok_emb.weight'), a, V) };
  };
  /** One block of `rows` at pos0 with tree rows from `plain` on (their records) and `top` candidates. */
  const runTree = async (rows: number, pos0: number, plain: number, records: { pos: number; out: number; nOut: number }[], top: number) => {
    rig.kernels.nodes.reset();
    const block = rig.kernels.batches.set(0, rows, pos0, { seqRows: plain, nodes: rig.kernels.nodes.add(records), top });
    rig.kernels.batches.upload();
    rig.kernels.nodes.upload();
    runPass(rig.device, (pass) => dispatch.encode(pass, block));
    return { logits: await readF32(rig.device, logits), ids: await readU32(rig.device, ids) };
  };
  return { d, V, run, runTree, reference };
}

describe('head vs the CPU oracle', () => {
  for (const [rows, pos0] of [
    [1, 0],
    [2, 9],
    [3, 100],
    [4, 252],
  ])
    it(`block of ${rows} at pos0 ${pos0}: logits, and the argmax of them`, async () => {
      const weights = randomModel({}, rows);
      const s = setup(weights, randomRows(rows + 1, S, 128, 3));
      const { logits, ids } = await s.run([[rows, pos0]]);
      for (let r = 0; r < rows; r++) {
        const got = row(logits, r, s.V);
        const { want, bound } = s.reference(pos0 + r);
        expect(worstError(got, want, bound), `row ${r}`).toBeLessThanOrEqual(RTOL);
        expect(ids[pos0 + r], `row ${r}`).toBe(argmax(got));
      }
    });

  it('ties go to the lowest index; an all-NaN row gives 0', async () => {
    const weights = randomModel({}, 21);
    const E = weights.tensor('tok_emb.weight');
    // Rows 7, 70 and 200 of the embedding are the same vector, large enough to win every row.
    const d = 128;
    for (const v of [7, 70, 200]) for (let i = 0; i < d; i++) E[v * d + i] = 3 * Math.sign(Math.sin(i + 1));
    const x = new Float32Array(S * d);
    for (let i = 0; i < d; i++) x[5 * d + i] = Math.sign(Math.sin(i + 1)); // position 5 aligned with the tied rows
    x.fill(Number.NaN, 6 * d, 7 * d); // position 6: NaN throughout
    const s = setup(weights, x);
    const { logits, ids } = await s.run([[2, 5]]);
    expect(row(logits, 0, s.V)[7]).toBe(row(logits, 0, s.V)[200]);
    expect(ids[5]).toBe(7);
    expect(ids[6]).toBe(0);
  });
});

describe("a draft tree's drafters: the best candidates of a row (ops.topCandidates)", () => {
  it('plain rows: `top` candidates each, best first, for every row of a block of 4', async () => {
    const s = setup(randomModel({}, 31), randomRows(32, S, 128, 3), 4);
    const { logits, ids } = await s.runTree(4, 40, 4, [], 4);
    for (let r = 0; r < 4; r++)
      expect(Array.from(ids.subarray(4 * r, 4 * r + 4)), `row ${r}`).toEqual(topCandidates(row(logits, r, s.V), 4));
  });

  it('tree rows: each its own count at its own place; a row asking none writes one, as a plain row', async () => {
    const s = setup(randomModel({}, 31), randomRows(33, S, 128, 3));
    // Rows 0 (plain, one id at pos0), then tree rows asking 3, 1, 0 and 2 candidates at ids 200, 210, -, 220.
    const records = [
      { pos: 0, out: 200, nOut: 3 },
      { pos: 0, out: 210, nOut: 1 },
      { pos: 0, out: 0, nOut: 0 },
      { pos: 0, out: 220, nOut: 2 },
    ];
    const { logits, ids } = await s.runTree(5, 60, 1, records, 3);
    expect(ids[60]).toBe(argmax(row(logits, 0, s.V)));
    expect(Array.from(ids.subarray(200, 204))).toEqual([...topCandidates(row(logits, 1, s.V), 3), 0]);
    expect(Array.from(ids.subarray(210, 212))).toEqual([topCandidates(row(logits, 2, s.V), 1)[0], 0]);
    expect(ids[63]).toBe(argmax(row(logits, 3, s.V)));
    expect(Array.from(ids.subarray(220, 223))).toEqual([...topCandidates(row(logits, 4, s.V), 2), 0]);
  });

  it('tied logits rank by index; a row of NaN gives 0 for every candidate', async () => {
    const weights = randomModel({}, 21);
    const E = weights.tensor('tok_emb.weight');
    const d = 128;
    for (const v of [7, 70, 200]) for (let i = 0; i < d; i++) E[v * d + i] = 3 * Math.sign(Math.sin(i + 1));
    const x = new Float32Array(S * d);
    for (let i = 0; i < d; i++) x[i] = Math.sign(Math.sin(i + 1));
    x.fill(Number.NaN, d, 2 * d);
    const s = setup(weights, x, 4);
    const { logits, ids } = await s.runTree(2, 0, 2, [], 4);
    expect(Array.from(ids.subarray(0, 3))).toEqual([7, 70, 200]);
    expect(Array.from(ids.subarray(0, 4))).toEqual(topCandidates(row(logits, 0, s.V), 4));
    expect(Array.from(ids.subarray(4, 8))).toEqual([0, 0, 0, 0]);
  });
});

describe('head batch-size invariance (bit-exact)', () => {
  it('a block of 4 equals 4 blocks of 1 and a 3 + 1 split', async () => {
    const weights = randomModel({}, 31);
    const x = randomRows(32, S, 128, 3);
    const logitsOf = async (blocks: [number, number][]) => {
      // Each block's logits land at rows 0.. of the logits buffer: collect them per position.
      const s = setup(weights, x);
      const out: Float32Array[] = [];
      for (const b of blocks) {
        const { logits } = await s.run([b]);
        for (let r = 0; r < b[0]; r++) out.push(row(logits, r, s.V).slice());
      }
      return Float32Array.from(out.flatMap((a) => [...a]));
    };
    const whole = await logitsOf([[4, 60]]);
    expect(
      bitDifferences(
        whole,
        await logitsOf([
          [1, 60],
          [1, 61],
          [1, 62],
          [1, 63],
        ]),
      ),
    ).toEqual([]);
    expect(
      bitDifferences(
        whole,
        await logitsOf([
          [3, 60],
          [1, 63],
        ]),
      ),
    ).toEqual([]);
  });
});

describe('drafts on the GPU', () => {
  it('the head writes tokens[pos0 + 1] and the next embedding gather reads it', async () => {
    const weights = randomModel({}, 41);
    const { d_model: d, vocab_size: V, norm_eps: eps } = weights.config;
    const w = gpuWeights(rig.device, weights);
    const x = randomRows(42, S, d, 3);
    const tokens = zeros(rig.device, S);
    const pos0 = 40;
    const head = rig.kernels.head({
      x: { buffer: upload(rig.device, x), positional: true },
      norm: w.gpu.view('norm.weight'),
      table: w.gpu.columns('tok_emb.weight'),
      logits: { buffer: zeros(rig.device, V) },
      ids: { buffer: tokens, base: 1, positional: true }, // the head at pos0 predicts token pos0 + 1
      d,
      n: V,
      eps,
    });
    const out = zeros(rig.device, d);
    const gather = rig.kernels.embedding({
      table: w.gpu.view('tok_emb.weight'),
      tokens: { buffer: tokens, positional: true },
      out: { buffer: out },
      d,
      vocab: V,
    });
    runBatches(
      rig,
      [
        [1, pos0],
        [1, pos0 + 1],
      ],
      (pass, block) => (block.slot === 0 ? head : gather).encode(pass, block),
    );
    const a = rmsnorm(row(x, pos0, d), weights.tensor('norm.weight'), eps);
    const t = argmax(matvec(weights.tensor('tok_emb.weight'), a, V));
    expect((await readU32(rig.device, tokens))[pos0 + 1]).toBe(t);
    expect(await readF32(rig.device, out)).toEqual(row(weights.tensor('tok_emb.weight'), t, d));
  });
});
