// The kernels' interface, apart from the kernels themselves (kernels.ts): the operand views, the
// per-step `Block` uniform slots (BlockParams) and a kernel use ready to encode (Dispatch), with the
// limits the shaders set. See kernels.ts's header for the binding scheme these serve.
import type { SamplingParams } from '../model/decode-engine.ts';
import type { ShaderName } from './shaders.ts';

/** Bytes between per-step uniform slots (WebGPU's default minUniformBufferOffsetAlignment). */
export const SLOT_BYTES = 256;
/** Bytes of the per-step `Block` uniform each kernel reads (shaders/prelude.wgsl). */
export const BLOCK_BYTES = 32;
/** Rows a fused kernel's workgroup takes (shaders/rows.wgsl GROUP; tests/unit/params.test.ts checks they agree). */
export const FUSED_GROUP_ROWS = 4;
/** Widest model the fused kernels take (shaders/rows.wgsl MAX_D4: a group's rows sit in workgroup memory). */
export const FUSED_MAX_D = 256;
/** Widest SwiGLU hidden layer wo-ffn.wgsl takes (MAX_H4: a group's activations sit in workgroup memory). */
export const FFN_MAX_HIDDEN = 512;
/** Largest head attention.wgsl takes (two Parts of 32 dims in registers; and lane_out's room). */
export const ATTENTION_MAX_HEAD_DIM = 64;
/** Longest row the sampling kernel takes (sample.wgsl: its workgroup memory holds the row's values). */
export const SAMPLE_MAX_N = 2048;

/** A range of a buffer seen as rows of 32-bit elements (see the header). */
export interface View {
  buffer: GPUBuffer;
  /** First element (32-bit words, not bytes). Default 0. */
  base?: number;
  /** Elements from one row to the next. Default: the operand's row width. */
  stride?: number;
  /** Rows are absolute positions: row r of a block is row pos0 + r. Default false. */
  positional?: boolean;
}

/** One block run's per-step values, as written in a slot of `Kernels.blocks`. */
export interface Block {
  readonly slot: number;
  /** Byte offset of the slot: the dynamic offset of binding 0. */
  readonly offset: number;
  /** Rows in the block (M). */
  readonly rows: number;
  /** Absolute position of the block's first row. */
  readonly pos0: number;
}

/** A block's draft-tree rows (src/gpu/tree-rows.ts): rows from `plain` on are described by the
 * node records from `nodes` on; `top`: candidates a head writes per row (the most a tree row asks). */
export interface TreeRows {
  plain: number;
  nodes: number;
  top: number;
}

/** One kernel use, bound to its buffers at set-up. */
export interface Dispatch {
  /** The kernel family (shader file), for profiles. */
  readonly kernel: ShaderName;
  readonly label: string;
  /** Records the kernel for `block` into a compute pass. */
  encode(pass: GPUComputePassEncoder, block: Block): void;
}

/** Temperature (> 0) and top-p (0 < topP <= 1; 1 keeps every token) of the sampling kernel. */
export type SampleSetting = SamplingParams;

export interface SampleDispatch extends Dispatch {
  /** Rewrites the static uniform (queue.writeBuffer): for a change of setting, not per step. */
  setSampling(setting: SampleSetting): void;
}

/**
 * The per-step uniform buffer: `capacity` slots of 256 bytes, each a `Block` (shaders/prelude.wgsl).
 * `set` writes a CPU copy; `upload` sends the slots written since the last upload in one writeBuffer
 * (queue-ordered, so it lands before the next submit and after the previous one).
 */
export class BlockParams {
  readonly buffer: GPUBuffer;
  private readonly words: Uint32Array<ArrayBuffer>;
  private dirtyFrom = Infinity;
  private dirtyTo = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`block slots: ${capacity}`);
    this.buffer = device.createBuffer({
      label: 'block params',
      size: capacity * SLOT_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.words = new Uint32Array((capacity * SLOT_BYTES) / 4);
  }

  /** Sets slot `slot` to a block of `rows` rows starting at absolute position `pos0`, plain unless `tree` says. */
  set(slot: number, rows: number, pos0: number, tree: TreeRows = { plain: rows, nodes: 0, top: 1 }): Block {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity)
      throw new RangeError(`block slot ${slot} is outside 0..${this.capacity - 1}`);
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`block rows: ${rows}`);
    if (!Number.isInteger(pos0) || pos0 < 0) throw new RangeError(`block pos0: ${pos0}`);
    if (!(tree.plain >= 0 && tree.plain <= rows && tree.nodes >= 0 && tree.top >= 1))
      throw new RangeError(`block tree rows: ${JSON.stringify(tree)}`);
    const w = (slot * SLOT_BYTES) / 4;
    this.words.set([rows, pos0, tree.plain, tree.nodes, tree.top], w);
    this.dirtyFrom = Math.min(this.dirtyFrom, slot);
    this.dirtyTo = Math.max(this.dirtyTo, slot + 1);
    return { slot, offset: slot * SLOT_BYTES, rows, pos0 };
  }

  /** Writes the slots set since the last upload to the GPU (no-op when none). */
  upload(): void {
    if (this.dirtyTo <= this.dirtyFrom) return;
    const from = (this.dirtyFrom * SLOT_BYTES) / 4;
    const to = ((this.dirtyTo - 1) * SLOT_BYTES + BLOCK_BYTES) / 4;
    this.device.queue.writeBuffer(this.buffer, from * 4, this.words, from, to - from);
    this.dirtyFrom = Infinity;
    this.dirtyTo = 0;
  }

  destroy(): void {
    this.buffer.destroy();
  }
}
