// matmul.wgsl against ops.matvec, and its bit-exact block-size invariance: a row's outputs are the
// same bits whatever the block size M and whichever variant (rows, tiled) computed them.
import { describe, expect, it } from 'vitest';
import type { MatmulVariant } from '../../src/gpu/dispatch.ts';
import { matvec } from '../../src/model/ops.ts';
import { bitDifferences, randomF32, readF32, rng, runBlocks, upload, useKernels, worstError, zeros } from './dawn.ts';

const rig = useKernels(['matmul']);

/**
 * Error scale of one output: sum_k |x_k w_nk|. A float32 chain of K fmas is within about
 * K * 2^-24 of that in the worst case and sqrt(K) * 2^-24 typically (K = 384: 2.3e-5, 1.2e-6);
 * the tolerance is 1e-5 of it.
 */
const RTOL = 1e-5;

function reference(x: Float32Array, w: Float32Array, rows: number, K: number, N: number, residual?: Float32Array) {
  const want = new Float32Array(rows * N);
  const bound = new Float64Array(rows * N);
  const absW = w.map(Math.abs);
  for (let r = 0; r < rows; r++) {
    const xr = x.subarray(r * K, (r + 1) * K);
    const y = matvec(w, xr, N);
    const b = matvec(absW, xr.map(Math.abs), N);
    for (let n = 0; n < N; n++) {
      want[r * N + n] = residual ? residual[r * N + n] + y[n] : y[n];
      bound[r * N + n] = b[n] + (residual ? Math.abs(residual[r * N + n]) : 0);
    }
  }
  return { want, bound };
}

describe('matmul vs ops.matvec', () => {
  const cases: { name: string; M: number; K: number; N: number; residual?: boolean }[] = [
    { name: 'q/k/v/o shape', M: 3, K: 128, N: 128 },
    { name: 'output head', M: 1, K: 128, N: 1024 },
    { name: 'w2 with residual', M: 4, K: 384, N: 128, residual: true },
    { name: 'w1 shape, prefill', M: 70, K: 128, N: 384 },
    { name: 'MTP projection with residual', M: 9, K: 256, N: 128, residual: true },
    { name: 'ragged sizes', M: 5, K: 40, N: 70 },
  ];
  for (const c of cases)
    for (const variant of ['rows', 'tiled'] as const)
      it(`${c.name}: M=${c.M} K=${c.K} N=${c.N}, ${variant}`, async () => {
        const { device, kernels } = rig;
        const random = rng(c.M * 7919 + c.K * 31 + c.N);
        const x = randomF32(random, c.M * c.K);
        const w = randomF32(random, c.N * c.K, 0.1);
        const r0 = c.residual ? randomF32(random, c.M * c.N) : undefined;
        const out = r0 ? upload(device, r0) : zeros(device, c.M * c.N);
        const mm = kernels.matmul({ x: { buffer: upload(device, x) }, w: { buffer: upload(device, w) }, out: { buffer: out }, K: c.K, N: c.N, residual: c.residual });
        runBlocks(rig, [[c.M, 0]], (pass, block) => mm.encodeVariant(pass, block, variant));
        const got = await readF32(device, out);
        const { want, bound } = reference(x, w, c.M, c.K, c.N, r0);
        expect(worstError(got.subarray(0, want.length), want, bound)).toBeLessThanOrEqual(RTOL);
      });

  it('picks the rows variant for prefill on SwiftShader (measured faster there), tiled on a GPU', () => {
    const info = (rig.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    if (info?.architecture === 'swiftshader') expect(rig.kernels.prefillMatmul).toBe('rows');
    else if (info && !(info as { isFallbackAdapter?: boolean }).isFallbackAdapter) expect(rig.kernels.prefillMatmul).toBe('tiled');
  });

  it('reads x, w and out at element offsets, and writes a positional (KV cache) row range', async () => {
    const { device, kernels } = rig;
    const [K, N, M, pos0] = [128, 128, 3, 17];
    const random = rng(5);
    const xAll = randomF32(random, 12 + M * (K + 4)); // x rows at base 12, stride K + 4 (vec4 multiples)
    const wAll = randomF32(random, 8 + N * K, 0.1); // w at base 8
    const cache = zeros(device, 256 * N + 5);
    const mm = kernels.matmul({
      x: { buffer: upload(device, xAll), base: 12, stride: K + 4 },
      w: { buffer: upload(device, wAll), base: 8 },
      out: { buffer: cache, base: 5, positional: true },
      K,
      N,
    });
    runBlocks(rig, [[M, pos0]], (pass, block) => mm.encode(pass, block));
    const got = await readF32(device, cache);
    const x = new Float32Array(M * K);
    for (let r = 0; r < M; r++) x.set(xAll.subarray(12 + r * (K + 4), 12 + r * (K + 4) + K), r * K);
    const { want, bound } = reference(x, wAll.subarray(8), M, K, N);
    expect(worstError(got.subarray(5 + pos0 * N, 5 + (pos0 + M) * N), want, bound)).toBeLessThanOrEqual(RTOL);
    // nothing written outside rows pos0 .. pos0 + M - 1
    expect(got.subarray(0, 5 + pos0 * N).every((v) => v === 0)).toBe(true);
    expect(got.subarray(5 + (pos0 + M) * N).every((v) => v === 0)).toBe(true);
  });

  it('refuses a K or view that the vec4 loads cannot read, naming it', () => {
    const { device, kernels } = rig;
    const x = zeros(device, 4 * 132);
    const w = zeros(device, 132 * 8);
    const out = zeros(device, 4 * 8);
    const mm = (o: { K?: number; xBase?: number; xStride?: number; wBase?: number }) => () =>
      kernels.matmul({ x: { buffer: x, base: o.xBase, stride: o.xStride }, w: { buffer: w, base: o.wBase }, out: { buffer: out }, K: o.K ?? 128, N: 8, label: 'probe' });
    expect(mm({})).not.toThrow();
    expect(mm({ K: 130 })).toThrow(/matmul probe: K must be a multiple of 4 floats .* got 130/);
    expect(mm({ xBase: 2 })).toThrow(/x\.base must be a multiple of 4/);
    expect(mm({ xStride: 129 })).toThrow(/x\.stride must be a multiple of 4/);
    expect(mm({ wBase: 6 })).toThrow(/w\.base must be a multiple of 4/);
    expect(() => kernels.matmul({ x: { buffer: zeros(device, 130) }, w: { buffer: w }, out: { buffer: out }, K: 128, N: 1 })).toThrow(/x buffer size/);
  });
});

describe('matmul block-size invariance (bit-exact)', () => {
  /**
   * Computes rows 0..total-1 as the given blocks (sizes, consecutive) with one variant; x and out
   * are positional views so each block picks its own rows through pos0.
   */
  async function computeAs(
    x: GPUBuffer,
    w: GPUBuffer,
    K: number,
    N: number,
    sizes: number[],
    variant: MatmulVariant | 'auto',
    residual?: Float32Array,
  ): Promise<Float32Array> {
    const { device, kernels } = rig;
    const total = sizes.reduce((a, b) => a + b, 0);
    const out = residual ? upload(device, residual) : zeros(device, total * N);
    const mm = kernels.matmul({ x: { buffer: x, positional: true }, w: { buffer: w }, out: { buffer: out, positional: true }, K, N, residual: !!residual });
    const blocks: [number, number][] = [];
    let pos = 0;
    for (const s of sizes) {
      blocks.push([s, pos]);
      pos += s;
    }
    runBlocks(rig, blocks, (pass, block) => (variant === 'auto' ? mm.encode(pass, block) : mm.encodeVariant(pass, block, variant)));
    const got = await readF32(device, out);
    out.destroy();
    return got.subarray(0, total * N);
  }

  for (const [K, N] of [
    [128, 384],
    [40, 70],
  ])
    it(`M = 1..4, rows and tiled, K=${K} N=${N}`, async () => {
      const { device } = rig;
      const random = rng(K + N);
      const x = upload(device, randomF32(random, 4 * K));
      const w = upload(device, randomF32(random, N * K, 0.1));
      const want = await computeAs(x, w, K, N, [1, 1, 1, 1], 'rows');
      for (const sizes of [[4], [2, 2], [3, 1], [1, 3], [1, 2, 1]])
        for (const variant of ['rows', 'tiled'] as const) {
          const got = await computeAs(x, w, K, N, sizes, variant);
          expect(bitDifferences(got, want), `${variant} blocks ${sizes}`).toEqual([]);
        }
      const tiledSingles = await computeAs(x, w, K, N, [1, 1, 1, 1], 'tiled');
      expect(bitDifferences(tiledSingles, want), 'tiled blocks of 1').toEqual([]);
    });

  it('a prefill block (tiled, and rows) equals the same rows in decode blocks (output head, 100 rows)', async () => {
    const { device } = rig;
    const [K, N, M] = [128, 1024, 100];
    const random = rng(11);
    const x = upload(device, randomF32(random, M * K));
    const w = upload(device, randomF32(random, N * K, 0.1));
    const decodeBlocks = [...Array<number>(24).fill(4), 3, 1]; // 100 rows in blocks of 4, 3, 1
    const decoded = await computeAs(x, w, K, N, decodeBlocks, 'auto');
    expect(bitDifferences(await computeAs(x, w, K, N, [M], 'tiled'), decoded), 'tiled').toEqual([]);
    expect(bitDifferences(await computeAs(x, w, K, N, [M], 'rows'), decoded), 'rows').toEqual([]);
  });

  it('with a residual, a tiled prefill block (70 rows) equals decode blocks', async () => {
    const { device } = rig;
    const [K, N, M] = [384, 128, 70];
    const random = rng(12);
    const x = upload(device, randomF32(random, M * K));
    const w = upload(device, randomF32(random, N * K, 0.1));
    const r0 = randomF32(random, M * N);
    const prefill = await computeAs(x, w, K, N, [M], 'tiled', r0);
    const decoded = await computeAs(x, w, K, N, [...Array<number>(17).fill(4), 2], 'auto', r0);
    expect(bitDifferences(prefill, decoded)).toEqual([]);
  });
});
