// head.wgsl with a draft vocabulary (FR-Spec), against the CPU oracle ops.matvecRows: only the
// vocabulary's tokens scored and every other logit EXCLUDED_LOGIT, each logit of a row written (the
// tokens left out before the first, between and after the last), the argmax and a draft tree's
// candidates among the scored tokens (ops.topCandidates), and the scored logits the same bits as
// the full head's at those tokens.
import { describe, expect, it } from 'vitest';
import { argmax, EXCLUDED_LOGIT, matvecRows, rmsnorm, topCandidates } from '../../src/model/ops.ts';
import { bitDifferences, readF32, readU32, rng, runBatches, runPass, upload, useKernels, worstError, zeros } from '../helpers/dawn.ts';
import { gpuWeights, productScale, randomModel, randomRows, row } from '../helpers/fused.ts';
import type { Weights } from '../../src/model/weights.ts';

const rig = useKernels(['head']);
const S = 256;
/** As head.test.ts: a chain of d = 128 fmas against the float64 oracle. */
const RTOL = 1e-5;
/** What the logits buffer holds before a run: a logit the kernel leaves unwritten shows as this. */
const UNWRITTEN = 12345;

/** `count` ascending token ids of 0..V-1, drawn with `seed`; `ends`: with tokens 0 and V - 1, else without. */
function vocabulary(V: number, count: number, seed: number, ends: boolean): Uint32Array {
  const random = rng(seed);
  const pool = Array.from({ length: V - 2 }, (_, i) => i + 1); // 1 .. V - 2
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const ids = ends ? [0, V - 1, ...pool.slice(0, count - 2)] : pool.slice(0, count);
  return Uint32Array.from(ids.sort((a, b) => a - b));
}

function setup(weights: Weights, x: Float32Array, options: { draft: boolean; idsStride?: number }) {
  const { d_model: d, vocab_size: V, norm_eps: eps } = weights.config;
  const w = gpuWeights(rig.device, weights);
  const draft = options.draft ? w.gpu.draftHead : undefined;
  if (options.draft && !draft) throw new Error('the model has no draft vocabulary');
  const logits = upload(rig.device, new Float32Array(S * V).fill(UNWRITTEN));
  const ids = zeros(rig.device, S + 8);
  const idsStride = options.idsStride ?? 1;
  const dispatch = rig.kernels.head({
    x: { buffer: upload(rig.device, x), positional: true },
    norm: w.gpu.view('norm.weight'),
    table: draft ? draft.table : w.gpu.columns('tok_emb.weight'),
    logits: { buffer: logits },
    ids: { buffer: ids, positional: idsStride === 1, stride: idsStride },
    d,
    n: V,
    eps,
    vocabulary: draft?.vocabulary,
  });
  const run = async (blocks: [number, number][]) => {
    runBatches(rig, blocks, (pass, block) => dispatch.encode(pass, block));
    return { logits: await readF32(rig.device, logits), ids: await readU32(rig.device, ids) };
  };
  const runTop = async (rows: number, pos0: number, top: number) => {
    rig.kernels.nodes.reset();
    const block = rig.kernels.batches.set(0, rows, pos0, { seqRows: rows, nodes: rig.kernels.nodes.add([]), top });
    rig.kernels.batches.upload();
    rig.kernels.nodes.upload();
    runPass(rig.device, (pass) => dispatch.encode(pass, block));
    return { logits: await readF32(rig.device, logits), ids: await readU32(rig.device, ids) };
  };
  const reference = (pos: number, vocab: Uint32Array) => {
    const a = rmsnorm(row(x, pos, d), w.cpu('norm.weight'), eps);
    return { want: matvecRows(w.cpu('tok_emb.weight'), a, V, vocab), bound: productScale(w.cpu('tok_emb.weight'), a, V) };
  };
  return { V, run, runTop, reference };
}

const withVocabulary = (weights: Weights, draftVocab: Uint32Array): Weights => ({ ...weights, draftVocab });

describe('head with a draft vocabulary vs the CPU oracle (ops.matvecRows)', () => {
  for (const [rows, pos0, count, ends] of [
    [1, 0, 64, false],
    [2, 9, 64, true],
    [3, 100, 128, false],
    [4, 252, 4, true],
  ] as const)
    it(`block of ${rows} at pos0 ${pos0}, ${count} tokens ${ends ? 'with' : 'without'} the first and last: every logit, and the argmax`, async () => {
      const base = randomModel({}, 50 + rows);
      const vocab = vocabulary(base.config.vocab_size, count, rows, ends);
      const s = setup(withVocabulary(base, vocab), randomRows(60 + rows, S, 128, 3), { draft: true });
      const { logits, ids } = await s.run([[rows, pos0]]);
      const scored = new Set(vocab);
      for (let r = 0; r < rows; r++) {
        const got = row(logits, r, s.V);
        const { want, bound } = s.reference(pos0 + r, vocab);
        const unscored = [...got.keys()].filter((i) => !scored.has(i));
        expect(
          unscored.filter((i) => got[i] !== EXCLUDED_LOGIT),
          `row ${r}: tokens outside the vocabulary not EXCLUDED_LOGIT`,
        ).toEqual([]);
        const at = (a: ArrayLike<number>) => Array.from(vocab, (i) => a[i]);
        expect(worstError(at(got), at(want), at(bound)), `row ${r}`).toBeLessThanOrEqual(RTOL);
        expect(ids[pos0 + r], `row ${r}`).toBe(argmax(got));
        expect(scored.has(ids[pos0 + r]), `row ${r}: the argmax is a scored token`).toBe(true);
      }
    });

  it("the scored logits are the full head's bits at those tokens", async () => {
    const base = randomModel({}, 71);
    const vocab = vocabulary(base.config.vocab_size, 96, 72, false);
    const x = randomRows(73, S, 128, 3);
    const full = await setup(base, x, { draft: false }).run([[4, 30]]);
    const draft = await setup(withVocabulary(base, vocab), x, { draft: true }).run([[4, 30]]);
    const V = base.config.vocab_size;
    for (let r = 0; r < 4; r++) {
      const at = (a: Float32Array) => Float32Array.from(vocab, (i) => row(a, r, V)[i]);
      expect(bitDifferences(at(draft.logits), at(full.logits)), `row ${r}`).toEqual([]);
    }
  });

  it("a draft tree's drafters: `top` candidates a row, best first, all scored tokens", async () => {
    const base = randomModel({}, 81);
    const vocab = vocabulary(base.config.vocab_size, 32, 82, true);
    const s = setup(withVocabulary(base, vocab), randomRows(83, S, 128, 3), { draft: true, idsStride: 4 });
    const { logits, ids } = await s.runTop(4, 40, 4);
    for (let r = 0; r < 4; r++) {
      const got = Array.from(ids.subarray(4 * r, 4 * r + 4));
      expect(got, `row ${r}`).toEqual(topCandidates(row(logits, r, s.V), 4));
      expect(
        got.every((id) => vocab.includes(id)),
        `row ${r}`,
      ).toBe(true);
    }
  });

  it('refuses a vocabulary that is not a multiple of 4 or larger than the vocabulary, by name', () => {
    const weights = randomModel({}, 91);
    const w = gpuWeights(rig.device, withVocabulary(weights, vocabulary(256, 8, 92, false)));
    const use = (count: number) => () =>
      rig.kernels.head({
        x: { buffer: zeros(rig.device, 128) },
        norm: w.gpu.view('norm.weight'),
        table: w.gpu.draftHead!.table,
        logits: { buffer: zeros(rig.device, 256) },
        ids: { buffer: zeros(rig.device, 4) },
        d: 128,
        n: 256,
        eps: 1e-5,
        vocabulary: { ids: w.gpu.draftHead!.vocabulary.ids, count },
      });
    expect(use(6)).toThrow(/vocabulary\.count must be a multiple of 4/);
    expect(use(260)).toThrow(/vocabulary\.count must be a multiple of 4 up to n/);
  });
});
