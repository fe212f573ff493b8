// embedding.wgsl: rows of the real-size table (1024 x 128) gathered for token ids read from a GPU
// buffer at an element offset. A gather is a copy: results are compared bit for bit.
import { describe, expect, it } from 'vitest';
import { readF32, randomF32, rng, runBatches, upload, useKernels, zeros } from '../helpers/dawn.ts';

const rig = useKernels(['embedding']);
const [V, D] = [1024, 128];

describe('embedding gather', () => {
  it('gathers rows for ids at a token offset, into an output at an element offset', async () => {
    const { device, kernels } = rig;
    const table = randomF32(rng(1), V * D);
    const tokens = new Uint32Array([9, 9, 9, 0, 1023, 512, 7, 7, 9]);
    const out = zeros(device, 4 + 5 * D);
    const e = kernels.embedding({
      table: { buffer: upload(device, table) },
      tokens: { buffer: upload(device, tokens), base: 3 },
      out: { buffer: out, base: 4 },
      d: D,
      vocab: V,
    });
    runBatches(rig, [[5, 0]], (pass, block) => e.encode(pass, block));
    const got = await readF32(device, out);
    [0, 1023, 512, 7, 7].forEach((t, r) =>
      expect(got.subarray(4 + r * D, 4 + (r + 1) * D), `row ${r}`).toEqual(table.subarray(t * D, (t + 1) * D)),
    );
  });

  it('reads ids by absolute position (positional token buffer, MTP shift k as base) and clamps ids >= vocab', async () => {
    const { device, kernels } = rig;
    const table = randomF32(rng(2), V * D);
    const tokens = new Uint32Array(256).map((_, i) => (i * 37) % V);
    tokens[42] = 5000; // out of range: clamped to V - 1
    const out = zeros(device, 3 * D);
    const k = 2; // MTP module 2 at position i reads token i + 2
    const e = kernels.embedding({
      table: { buffer: upload(device, table) },
      tokens: { buffer: upload(device, tokens), base: k, positional: true },
      out: { buffer: out },
      d: D,
      vocab: V,
    });
    runBatches(rig, [[3, 39]], (pass, block) => e.encode(pass, block));
    const got = await readF32(device, out);
    [tokens[41], V - 1, tokens[43]].forEach((t, r) =>
      expect(got.subarray(r * D, (r + 1) * D), `row ${r}`).toEqual(table.subarray(t * D, (t + 1) * D)),
    );
  });
});
