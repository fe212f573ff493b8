// All of a model's weights in one GPU storage buffer, each tensor a view at its element offset, in
// the order of the config's expectedTensors. That order lists wq, wk, wv and w1, w3 of a block side
// by side, so each group is also one [3d, d] and one [2h, d] matrix: `adjacent` hands out such a
// group as a single view (and checks that it is one).
import { expectedTensors } from '../model/config.ts';
import type { Weights } from '../model/weights.ts';
import type { View } from './dispatch.ts';

export class WeightBuffer {
  readonly buffer: GPUBuffer;
  private readonly offsets = new Map<string, number>();

  constructor(
    device: GPUDevice,
    private readonly weights: Weights,
  ) {
    const names = [...expectedTensors(weights.config).keys()];
    let total = 0;
    for (const n of names) {
      this.offsets.set(n, total);
      total += weights.tensor(n).length;
    }
    this.buffer = device.createBuffer({ label: 'weights', size: total * 4, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
    const mapped = new Float32Array(this.buffer.getMappedRange());
    for (const n of names) mapped.set(weights.tensor(n), this.offsets.get(n)!);
    this.buffer.unmap();
  }

  /** The tensor `name` as a view. */
  view(name: string): View {
    const base = this.offsets.get(name);
    if (base === undefined) throw new Error(`weights: no tensor ${name}`);
    return { buffer: this.buffer, base };
  }

  /** Tensors that lie one after the other, as one view (a stacked matrix): the first one's. */
  adjacent(first: string, ...rest: string[]): View {
    let at = this.offsets.get(first)! + this.weights.tensor(first).length;
    for (const n of rest) {
      if (this.offsets.get(n) !== at) throw new Error(`weights: ${n} does not follow ${first} in the weights buffer`);
      at += this.weights.tensor(n).length;
    }
    return this.view(first);
  }
}
