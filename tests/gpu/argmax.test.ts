// argmax.wgsl against ops.argmax over rows of 1024 logits (ties to the lowest index), writing ids
// into a token buffer that an embedding gather then reads on the GPU, in the same pass.
import { describe, expect, it } from 'vitest';
import { argmax } from '../../src/model/ops.ts';
import { randomF32, readF32, readU32, rng, runBlocks, upload, useKernels, zeros } from './dawn.ts';

const rig = useKernels(['argmax', 'embedding']);
const [V, D] = [1024, 128];

describe('argmax vs ops.argmax', () => {
  it('random rows, ties across and within invocations, negative rows; ids at an offset', async () => {
    const { device, kernels } = rig;
    const random = rng(1);
    const rows = 7;
    const logits = randomF32(random, rows * V, 20);
    const row = (r: number) => logits.subarray(r * V, (r + 1) * V);
    // row 1: tie between indices 700 and 300 (different invocations: 300 % 256 = 44, 700 % 256 = 188)
    row(1)[700] = row(1)[300] = 100;
    // row 2: tie between 261 and 5 (the same invocation, 261 = 5 + 256) and 6
    row(2)[261] = row(2)[5] = row(2)[6] = 50;
    // row 3: all negative; row 4: all equal (answer 0); row 5: maximum at the last index
    row(3).forEach((v, i, a) => (a[i] = -Math.abs(v) - 1));
    row(4).fill(-3.5);
    row(5)[V - 1] = 1000;
    // row 6: ties with -0 and +0 as the maximum (equal under ==: lowest index wins)
    row(6).fill(-1);
    row(6)[900] = 0;
    row(6)[17] = -0;
    const ids = zeros(device, 10 + rows);
    const a = kernels.argmax({ logits: { buffer: upload(device, logits) }, out: { buffer: ids, base: 10 }, n: V });
    runBlocks(rig, [[rows, 0]], (pass, block) => a.encode(pass, block));
    const got = await readU32(device, ids);
    const want = Array.from({ length: rows }, (_, r) => argmax(row(r)));
    expect(want.slice(1, 7)).toEqual([300, 5, want[3], 0, V - 1, 17]);
    expect([...got.subarray(10, 10 + rows)]).toEqual(want);
    expect([...got.subarray(0, 10)].every((v) => v === 0)).toBe(true);
  });

  it('drafts on the GPU: argmax writes tokens[pos0 + 1] and the next embedding gather reads it', async () => {
    const { device, kernels } = rig;
    const random = rng(2);
    const logits = randomF32(random, V, 5);
    const table = randomF32(random, V * D);
    const tokens = zeros(device, 256);
    const pos0 = 40;
    // head at position pos0 (block of 1) predicts token pos0 + 1
    const a = kernels.argmax({ logits: { buffer: upload(device, logits) }, out: { buffer: tokens, base: 1, positional: true }, n: V });
    const out = zeros(device, D);
    const e = kernels.embedding({ table: { buffer: upload(device, table) }, tokens: { buffer: tokens, positional: true }, out: { buffer: out }, d: D, vocab: V });
    // two blocks: [1 row at pos0] for the head, [1 row at pos0 + 1] for the next gather
    runBlocks(rig, [[1, pos0], [1, pos0 + 1]], (pass, block) => (block.slot === 0 ? a : e).encode(pass, block));
    const t = argmax(logits);
    expect((await readU32(device, tokens))[pos0 + 1]).toBe(t);
    expect(await readF32(device, out)).toEqual(table.subarray(t * D, (t + 1) * D));
  });
});
