// All of a model's weights in one GPU storage buffer, laid out as the fused kernels read them:
//   - every vector (the norms) and the embedding table (for the gather) as stored;
//   - every matrix the kernels multiply by transposed, [in, out] instead of PyTorch's [out, in], the
//     matrices of one product side by side as columns: [Wq; Wk; Wv] of a block becomes one [d, 3d]
//     matrix whose row k holds input k's weight for every Q, K and V output, W1 and W3 one [d, 2h],
//     and the head (the tied embedding) a [d, V] copy;
//   - with a draft vocabulary (Weights.draftVocab), the MTP modules' head: those tokens' columns of
//     the [d, V] head, a [d, N] matrix, and their ids (u32) in a buffer of their own.
// Transposed, the lanes of a workgroup that compute consecutive outputs read consecutive floats:
// faster on SwiftShader than a lane streaming its own [out, in] row (docs/journal.md); on a GPU it is
// the coalesced layout.
// Every tensor starts at a multiple of 4 floats (the kernels load vec4s).
import { expectedTensors, mainBlocks, mtpBlocks, type ModelConfig } from '../model/config.ts';
import type { Weights } from '../model/weights.ts';
import type { View } from './dispatch.ts';

/** The products of a model, each a list of [out, in] tensors packed as the columns of one [in, sum of out] matrix. */
export function productGroups(config: ModelConfig): string[][] {
  const groups: string[][] = [];
  const blocks = [...mainBlocks(config), ...Array.from({ length: config.mtp_depth }, (_, k) => mtpBlocks(config, k)).flat()];
  for (const { prefix } of blocks) {
    groups.push([`${prefix}.attn.wq.weight`, `${prefix}.attn.wk.weight`, `${prefix}.attn.wv.weight`], [`${prefix}.attn.wo.weight`]);
    groups.push([`${prefix}.ffn.w1.weight`, `${prefix}.ffn.w3.weight`], [`${prefix}.ffn.w2.weight`]);
  }
  for (let k = 0; k < config.mtp_depth; k++) groups.push([`mtp.${k}.proj.weight`]);
  groups.push(['tok_emb.weight']);
  return groups;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

export class WeightBuffer {
  readonly buffer: GPUBuffer;
  /** Offsets of the tensors as stored. */
  private readonly stored = new Map<string, number>();
  /** Offsets and widths (sum of out) of the packed products, by their tensors' names joined with '|'. */
  private readonly packed = new Map<string, { base: number; width: number }>();
  /** The MTP modules' head table and its token ids, where the model has a draft vocabulary. */
  readonly draftHead?: { table: View; vocabulary: { ids: GPUBuffer; count: number } };

  constructor(device: GPUDevice, weights: Weights) {
    const shapes = expectedTensors(weights.config);
    const groups = productGroups(weights.config);
    const inProducts = new Set(groups.flat());
    let total = 0;
    for (const [name, shape] of shapes)
      if (shape.length === 1 || name === 'tok_emb.weight' || !inProducts.has(name)) {
        this.stored.set(name, total);
        total += align4(weights.tensor(name).length);
      }
    for (const group of groups) {
      const width = group.reduce((sum, n) => sum + shapes.get(n)![0], 0);
      this.packed.set(group.join('|'), { base: total, width });
      total += align4(width * shapes.get(group[0])![1]);
    }
    const vocab = weights.draftVocab;
    const draftBase = total;
    if (vocab) total += align4(vocab.length * weights.config.d_model);
    this.buffer = device.createBuffer({ label: 'weights', size: total * 4, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
    const mapped = new Float32Array(this.buffer.getMappedRange());
    for (const [name, base] of this.stored) mapped.set(weights.tensor(name), base);
    for (const group of groups) {
      const { base, width } = this.packed.get(group.join('|'))!;
      let column = 0;
      for (const name of group) {
        const [out, inputs] = shapes.get(name)!;
        const t = weights.tensor(name);
        for (let o = 0; o < out; o++) for (let i = 0; i < inputs; i++) mapped[base + i * width + column + o] = t[o * inputs + i];
        column += out;
      }
    }
    if (vocab) {
      const [V, d] = shapes.get('tok_emb.weight')!;
      const E = weights.tensor('tok_emb.weight');
      const N = vocab.length;
      vocab.forEach((id, c) => {
        if (id >= V) throw new RangeError(`weights: draft vocabulary token ${id} is outside 0..${V - 1}`);
        for (let i = 0; i < d; i++) mapped[draftBase + i * N + c] = E[id * d + i];
      });
      const ids = device.createBuffer({ label: 'draft vocabulary', size: N * 4, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
      new Uint32Array(ids.getMappedRange()).set(vocab);
      ids.unmap();
      this.draftHead = { table: { buffer: this.buffer, base: draftBase, stride: N }, vocabulary: { ids, count: N } };
    }
    this.buffer.unmap();
  }

  /** The tensor `name` as stored (a vector, or the embedding table for the gather). */
  view(name: string): View {
    const base = this.stored.get(name);
    if (base === undefined) throw new Error(`weights: no stored tensor ${name}`);
    return { buffer: this.buffer, base };
  }

  /** The product of these tensors (productGroups), as one transposed [in, sum of out] matrix. */
  columns(...names: string[]): View {
    const packed = this.packed.get(names.join('|'));
    if (!packed) throw new Error(`weights: ${names.join(', ')} are not packed as one product`);
    return { buffer: this.buffer, base: packed.base, stride: packed.width };
  }
}
