// attention.wgsl against ops.attention over a Q | K | V cache at the shipped models' sizes (d 128,
// 4 heads of 32, 256 positions), at heads of 64 and 16 dims (the head size is a pipeline constant,
// so each is its own compile), its bit-exact batch-size invariance, and the tree mask of draft-tree rows.
import { describe, expect, it } from 'vitest';
import { attention } from '../../src/model/ops.ts';
import {
  bitDifferences,
  randomF32,
  readF32,
  rng,
  runBatches,
  runPass,
  upload,
  useKernels,
  worstError,
  zeros,
  type KernelRig,
} from '../helpers/dawn.ts';
import { row } from '../helpers/fused.ts';

const [D, LEN] = [128, 256];
const rigs = { 32: useKernels(['attention'], 32), 64: useKernels(['attention'], 64), 16: useKernels(['attention'], 16) };

/**
 * Outputs are weighted means of values in [-1, 1]; errors are measured against that scale
 * (max |v| = 1): float32 dot products (up to 64 terms), float32 exp and a sum over up to 256 terms
 * stay near 1e-6 of it. Tolerance 1e-5.
 */
const TOL = 1e-5;

/** A cache of LEN positions, rows [q | k | v]; q scaled so that the softmax is far from uniform. */
function cacheData(seed: number) {
  const random = rng(seed);
  const q = randomF32(random, LEN * D, 4);
  const k = randomF32(random, LEN * D);
  const v = randomF32(random, LEN * D);
  const cache = new Float32Array(LEN * 3 * D);
  for (let t = 0; t < LEN; t++) cache.set([...row(q, t, D), ...row(k, t, D), ...row(v, t, D)], t * 3 * D);
  return { q, k, v, cache };
}

/** Runs the kernel on blocks (rows, pos0) of the cache at element `base`; returns the output rows by position. */
async function run(
  rig: KernelRig,
  data: ReturnType<typeof cacheData>,
  blocks: [number, number][],
  headDim = 32,
  base = 0,
): Promise<Float32Array> {
  const out = zeros(rig.device, LEN * D);
  const cache = upload(rig.device, Float32Array.from([...new Float32Array(base), ...data.cache]));
  const dispatch = rig.kernels.attention({
    cache: { buffer: cache, base },
    out: { buffer: out, positional: true },
    d: D,
    nHeads: D / headDim,
  });
  runBatches(rig, blocks, (pass, block) => dispatch.encode(pass, block));
  return readF32(rig.device, out);
}

function expectRows(got: Float32Array, data: ReturnType<typeof cacheData>, rows: number, pos0: number, nHeads: number) {
  for (let r = 0; r < rows; r++) {
    const want = attention(row(data.q, pos0 + r, D), data.k, data.v, pos0 + r + 1, nHeads);
    expect(worstError(row(got, pos0 + r, D), want, 1), `row ${r}`).toBeLessThanOrEqual(TOL);
  }
}

describe('attention vs ops.attention', () => {
  for (const [rows, pos0] of [
    [1, 0],
    [4, 100],
    [4, 252],
    [8, 13],
    [64, 0],
  ])
    it(`block of ${rows} rows at pos0 ${pos0}`, async () => {
      const data = cacheData(rows * 1000 + pos0);
      expectRows(await run(rigs[32], data, [[rows, pos0]]), data, rows, pos0, 4);
    });

  it('reads the cache at an element offset', async () => {
    const data = cacheData(77);
    expectRows(await run(rigs[32], data, [[3, 40]], 32, 9), data, 3, 40, 4);
  });

  for (const headDim of [64, 16] as const)
    it(`heads of ${headDim} dims (a pipeline of their own)`, async () => {
      const data = cacheData(91 + headDim);
      expectRows(await run(rigs[headDim], data, [[4, 30]], headDim), data, 4, 30, D / headDim);
    });

  it('refuses heads other than the compiled size, and heads beyond its limit, by name', () => {
    const out = { buffer: zeros(rigs[32].device, 16) };
    const cache = { buffer: zeros(rigs[32].device, 16) };
    expect(() => rigs[32].kernels.attention({ cache, out, d: D, nHeads: 2 })).toThrow(
      /heads of 64 dims, but the kernel was compiled for 32/,
    );
    expect(() => rigs[32].kernels.attention({ cache, out, d: 256, nHeads: 2 })).toThrow(/headDim 128 > 64/);
  });
});

describe('attention batch-size invariance (bit-exact)', () => {
  it('a block of 4 equals 4 blocks of 1, and other splits, at pos0 = 120', async () => {
    const data = cacheData(3);
    const want = await run(rigs[32], data, [[4, 120]]);
    for (const blocks of [
      [
        [1, 120],
        [1, 121],
        [1, 122],
        [1, 123],
      ],
      [
        [2, 120],
        [2, 122],
      ],
      [
        [3, 120],
        [1, 123],
      ],
    ] as [number, number][][])
      expect(bitDifferences(await run(rigs[32], data, blocks), want), JSON.stringify(blocks)).toEqual([]);
  });

  it('a prefill block of 8 rows from position 0 equals single rows', async () => {
    const data = cacheData(4);
    const want = await run(rigs[32], data, [[8, 0]]);
    const got = await run(
      rigs[32],
      data,
      Array.from({ length: 8 }, (_, i): [number, number] => [1, i]),
    );
    expect(bitDifferences(got, want)).toEqual([]);
  });
});

describe('attention over draft-tree rows (the tree mask)', () => {
  // root (slot and position 100) -> 1, 2; 1 -> 3, 4; 2 -> 5: node n in slot 100 + n.
  const parent = [0, 0, 1, 1, 2];
  const depthOf = [0, 1, 1, 2, 2, 2];
  const ancestors = (n: number): number[] => (n === 0 ? [] : [...ancestors(parent[n - 1]), n]);
  const records = parent.map((_, i) => {
    const n = i + 1;
    return { pos: 100 + depthOf[n], prefix: 101, keys: ancestors(n).map((a) => 100 + a) };
  });

  /** Runs the block of the root and the five nodes over `cache`; returns the output rows by slot. */
  async function runTree(rig: KernelRig, cache: Float32Array): Promise<Float32Array> {
    const out = zeros(rig.device, LEN * D);
    const dispatch = rig.kernels.attention({
      cache: { buffer: upload(rig.device, cache) },
      out: { buffer: out, positional: true },
      d: D,
      nHeads: 4,
    });
    rig.kernels.nodes.reset();
    const block = rig.kernels.batches.set(0, 6, 100, { seqRows: 1, nodes: rig.kernels.nodes.add(records), top: 1 });
    rig.kernels.batches.upload();
    rig.kernels.nodes.upload();
    runPass(rig.device, (pass) => dispatch.encode(pass, block));
    return readF32(rig.device, out);
  }

  it('a node attends to the prefix and its own branch: ops.attention over exactly those keys', async () => {
    const data = cacheData(11);
    const got = await runTree(rigs[32], data.cache);
    for (let n = 1; n <= 5; n++) {
      const slots = [...Array.from({ length: 101 }, (_, t) => t), ...ancestors(n).map((a) => 100 + a)];
      const keys = Float32Array.from(slots.flatMap((t) => [...row(data.k, t, D)]));
      const values = Float32Array.from(slots.flatMap((t) => [...row(data.v, t, D)]));
      const want = attention(row(data.q, 100 + n, D), keys, values, slots.length, 4);
      expect(worstError(row(got, 100 + n, D), want, 1), `node ${n}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('never sees a sibling: rewriting the other branches leaves a node bit for bit the same', async () => {
    const data = cacheData(12);
    const want = await runTree(rigs[32], data.cache);
    const scrambled = data.cache.slice();
    // Node 3's branch is 1 -> 3: scramble the keys and values of nodes 2, 4 and 5.
    for (const n of [2, 4, 5]) for (let i = D; i < 3 * D; i++) scrambled[(100 + n) * 3 * D + i] = 7 * Math.sin(i + n);
    const got = await runTree(rigs[32], scrambled);
    expect(bitDifferences(row(got, 103, D), row(want, 103, D))).toEqual([]);
    expect(bitDifferences(row(got, 101, D), row(want, 101, D))).toEqual([]);
    // And the scramble reached what it should: node 4's own row changed.
    expect(bitDifferences(row(got, 104, D), row(want, 104, D)).length).toBeGreaterThan(0);
  });

  it('a node is bit for bit its branch run as a chain (the cache rows laid out by position)', async () => {
    const data = cacheData(13);
    const tree = await runTree(rigs[32], data.cache);
    // Node 5's branch (2, then 5) at positions 101 and 102 of a plain cache.
    const chain = data.cache.slice();
    chain.set(data.cache.subarray(102 * 3 * D, 103 * 3 * D), 101 * 3 * D);
    chain.set(data.cache.subarray(105 * 3 * D, 106 * 3 * D), 102 * 3 * D);
    const plain = await run(rigs[32], { ...data, cache: chain }, [[1, 102]]);
    expect(bitDifferences(row(tree, 105, D), row(plain, 102, D))).toEqual([]);
  });
});
