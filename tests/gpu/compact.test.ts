// compact.wgsl: a draft tree's kept path moved into place, in every layer's Q | K | V cache and
// in the main stream, against the same moves applied in order on the CPU. A move is a copy, so
// the buffers are compared bit for bit; rows no move writes must be unchanged.
import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../src/gpu/tree-rows.ts';
import { randomF32, readF32, rng, runPass, upload, useKernels } from '../helpers/dawn.ts';

const rig = useKernels(['compact']);

/** The moves on the CPU: row `src` to row `pos` of every layer's cache and of the stream, in order. */
function applyMoves(caches: Float32Array, stream: Float32Array, moves: NodeRecord[], layers: number, cLayer: number, d: number) {
  const width = 3 * d;
  for (const { pos, src } of moves) {
    for (let l = 0; l < layers; l++)
      caches.copyWithin(l * cLayer + pos * width, l * cLayer + src! * width, l * cLayer + (src! + 1) * width);
    stream.copyWithin(pos * d, src! * d, (src! + 1) * d);
  }
}

async function compact(layers: number, d: number, slots: number, moves: NodeRecord[], seed: number) {
  const { device, kernels } = rig;
  // A gap after each layer's slots: the kernel must step layers by c_layer, not by slots x 3d.
  const cLayer = slots * 3 * d + 8;
  const caches = randomF32(rng(seed), layers * cLayer);
  const stream = randomF32(rng(seed + 1), slots * d);
  const cachesBuffer = upload(device, caches);
  const streamBuffer = upload(device, stream);
  const dispatch = kernels.compact({ caches: cachesBuffer, layers, cLayer, stream: streamBuffer, d });
  kernels.nodes.reset();
  const batch = kernels.batches.set(0, moves.length, 0, { seqRows: 0, nodes: kernels.nodes.add(moves), top: 1 });
  kernels.batches.upload();
  kernels.nodes.upload();
  runPass(device, (pass) => dispatch.encode(pass, batch));
  applyMoves(caches, stream, moves, layers, cLayer, d);
  return { got: { caches: await readF32(device, cachesBuffer), stream: await readF32(device, streamBuffer) }, want: { caches, stream } };
}

describe('compact', () => {
  it("moves a side branch's rows down, in every layer and the stream, in order", async () => {
    // Committed length 10: the kept nodes sat in slots 12, 13 and 15 and now hold positions 10-12.
    // Move 2 writes slot 12 after move 0 read it, so the moves must run in order.
    const moves = [
      { pos: 10, src: 12 },
      { pos: 11, src: 13 },
      { pos: 12, src: 15 },
    ];
    const { got, want } = await compact(8, 128, 24, moves, 1);
    expect(got.caches).toEqual(want.caches);
    expect(got.stream).toEqual(want.stream);
  });

  it('covers every column when there are more than its 4 x 64 invocations (4 layers x 96 + 32 stream columns)', async () => {
    const { got, want } = await compact(4, 32, 12, [{ pos: 5, src: 9 }], 3);
    expect(got.caches).toEqual(want.caches);
    expect(got.stream).toEqual(want.stream);
  });
});
