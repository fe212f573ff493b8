// The kernels' interface, apart from the kernels themselves (kernels.ts): the operand views, the
// per-step `RowBatch` uniform slots (RowBatchSlots) and a kernel use ready to encode (Dispatch), with the
// limits the shaders set. See kernels.ts's header for the binding scheme these serve.
import type { ModelConfig } from '../model/config.ts';
import type { SamplingParams } from '../model/decode-engine.ts';
import type { ShaderName } from './shaders.ts';

/** Bytes between per-step uniform slots (WebGPU's default minUniformBufferOffsetAlignment). */
export const SLOT_BYTES = 256;
/** Bytes of the per-step `RowBatch` uniform each kernel reads (shaders/prelude.wgsl). */
export const ROW_BATCH_BYTES = 32;
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

/** The head sizes qkv.wgsl takes are multiples of this: a lane rotates four RoPE pairs. */
const HEAD_DIM_MULTIPLE = 8;

/**
 * Checks, before a GPU engine allocates anything, that the kernels take a model of this shape (the
 * loader's CONFIG_BOUNDS are wider: the CPU reference takes any): throws an Error naming the
 * config field, its value and the kernel's limit.
 */
export function checkKernelLimits(c: ModelConfig): void {
  const fail = (field: string, value: number, limit: string) => {
    throw new Error(`model config: "${field}" (${value}) is beyond the GPU kernels: ${limit}`);
  };
  if (c.d_model % 4 !== 0 || c.d_model > FUSED_MAX_D)
    fail('d_model', c.d_model, `a multiple of 4 up to ${FUSED_MAX_D} (shaders/rows.wgsl MAX_D4)`);
  const headDim = c.d_model / c.n_heads;
  if (headDim % HEAD_DIM_MULTIPLE !== 0 || headDim > ATTENTION_MAX_HEAD_DIM)
    fail(
      'n_heads',
      c.n_heads,
      `heads of a multiple of ${HEAD_DIM_MULTIPLE} up to ${ATTENTION_MAX_HEAD_DIM} dims (qkv.wgsl, attention.wgsl)`,
    );
  for (const field of ['ffn_hidden', 'mtp_ffn_hidden'] as const)
    if (c[field] % 4 !== 0 || c[field] > FFN_MAX_HIDDEN)
      fail(field, c[field], `a multiple of 4 up to ${FFN_MAX_HIDDEN} (wo-ffn.wgsl MAX_H4)`);
  if (c.vocab_size % 4 !== 0 || c.vocab_size > SAMPLE_MAX_N)
    fail('vocab_size', c.vocab_size, `a multiple of 4 (head.wgsl) up to ${SAMPLE_MAX_N} (sample.wgsl)`);
}

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

/** A Q | K | V cache: rows of 3d floats by absolute position, q at `base`, k at base + d, v at base + 2d. */
export interface QkvCache {
  buffer: GPUBuffer;
  base?: number;
}

/** A row batch: the rows one dispatch takes in a step, as written in a slot of `Kernels.batches`. */
export interface RowBatch {
  readonly slot: number;
  /** Byte offset of the slot: the dynamic offset of binding 0. */
  readonly offset: number;
  /** Rows in the batch (M). */
  readonly rows: number;
  /** Absolute position of the batch's first row. */
  readonly pos0: number;
}

/** A row batch's draft-tree rows (src/gpu/tree-rows.ts): rows from `seqRows` on are described by the
 * node records from `nodes` on; `top`: candidates a head writes per row (the most a tree row asks). */
export interface TreeRows {
  seqRows: number;
  nodes: number;
  top: number;
}

/** One kernel use, bound to its buffers at set-up. */
export interface Dispatch {
  /** The kernel family (shader file), for profiles. */
  readonly kernel: ShaderName;
  readonly label: string;
  /** Records the kernel for `batch` into a compute pass. */
  encode(pass: GPUComputePassEncoder, batch: RowBatch): void;
}

export interface SampleDispatch extends Dispatch {
  /** Rewrites the static uniform (queue.writeBuffer): for a change of setting, not per step. */
  setSampling(setting: SamplingParams): void;
}

/**
 * The per-step uniform buffer: `capacity` slots of 256 bytes, each a `RowBatch` (shaders/prelude.wgsl).
 * `set` writes a CPU copy; `upload` sends the slots written since the last upload in one writeBuffer
 * (queue-ordered, so it lands before the next submit and after the previous one).
 */
export class RowBatchSlots {
  readonly buffer: GPUBuffer;
  private readonly words: Uint32Array<ArrayBuffer>;
  private dirtyFrom = Infinity;
  private dirtyTo = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`row batch slots: ${capacity}`);
    this.buffer = device.createBuffer({
      label: 'row batch slots',
      size: capacity * SLOT_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.words = new Uint32Array((capacity * SLOT_BYTES) / 4);
  }

  /** Sets slot `slot` to a batch of `rows` rows from absolute position `pos0`, all sequence rows unless `tree` says. */
  set(slot: number, rows: number, pos0: number, tree: TreeRows = { seqRows: rows, nodes: 0, top: 1 }): RowBatch {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity)
      throw new RangeError(`row batch slot ${slot} is outside 0..${this.capacity - 1}`);
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`row batch rows: ${rows}`);
    if (!Number.isInteger(pos0) || pos0 < 0) throw new RangeError(`row batch pos0: ${pos0}`);
    if (!(tree.seqRows >= 0 && tree.seqRows <= rows && tree.nodes >= 0 && tree.top >= 1))
      throw new RangeError(`row batch tree rows: ${JSON.stringify(tree)}`);
    const w = (slot * SLOT_BYTES) / 4;
    this.words.set([rows, pos0, tree.seqRows, tree.nodes, tree.top], w);
    this.dirtyFrom = Math.min(this.dirtyFrom, slot);
    this.dirtyTo = Math.max(this.dirtyTo, slot + 1);
    return { slot, offset: slot * SLOT_BYTES, rows, pos0 };
  }

  /** Writes the slots set since the last upload to the GPU (no-op when none). */
  upload(): void {
    if (this.dirtyTo <= this.dirtyFrom) return;
    const from = (this.dirtyFrom * SLOT_BYTES) / 4;
    const to = ((this.dirtyTo - 1) * SLOT_BYTES + ROW_BATCH_BYTES) / 4;
    this.device.queue.writeBuffer(this.buffer, from * 4, this.words, from, to - from);
    this.dirtyFrom = Infinity;
    this.dirtyTo = 0;
  }

  destroy(): void {
    this.buffer.destroy();
  }
}

// The checks each kernel use makes of its operands when it is built (kernels.ts).

/** `n` is a whole count of at least `min`; a RangeError naming `what` otherwise. */
export function checkCount(what: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${n}`);
}

/**
 * What every fused kernel asks of its shape (shaders/rows.wgsl): d a multiple of 4 up to
 * FUSED_MAX_D, every weight view in one buffer (the W binding) at a multiple of 4 floats, and each
 * matrix transposed to [in, out] (WeightBuffer.columns), its stride the width `products` names.
 */
export function checkFused(kernel: string, d: number, weights: Record<string, View>, products: Record<string, number> = {}): GPUBuffer {
  checkCount(`${kernel}: d`, d);
  if (d % 4 !== 0 || d > FUSED_MAX_D)
    throw new RangeError(`${kernel}: d must be a multiple of 4 up to ${FUSED_MAX_D} (the fused kernels' widest row), got ${d}`);
  const views = Object.entries(weights);
  const buffer = views[0][1].buffer;
  for (const [name, v] of views) {
    if (v.buffer !== buffer) throw new Error(`${kernel}: ${name} must be in the same weights buffer as ${views[0][0]}`);
    if ((v.base ?? 0) % 4 !== 0)
      throw new RangeError(`${kernel}: ${name}'s offset must be a multiple of 4 floats (vec4 loads), got ${v.base}`);
  }
  for (const [name, width] of Object.entries(products))
    if (weights[name].stride !== width)
      throw new RangeError(
        `${kernel}: ${name} must be a transposed matrix ${width} wide (WeightBuffer.columns), got a stride of ${weights[name].stride}`,
      );
  return buffer;
}

/** The columns a head scores: a draft vocabulary's `count` (a multiple of 4 up to n), or all n (a multiple of 4). */
export function checkHeadColumns(n: number, count?: number): number {
  checkCount('head: n', n);
  if (n % 4 !== 0) throw new RangeError(`head: n must be a multiple of 4, got ${n}`);
  if (count === undefined) return n;
  checkCount('head: vocabulary.count', count);
  if (count % 4 !== 0 || count > n) throw new RangeError(`head: vocabulary.count must be a multiple of 4 up to n (${n}), got ${count}`);
  return count;
}

/** The head size of d split into nHeads: a multiple of `multiple` (qkv: four RoPE pairs a lane; attention: vec4s), at most ATTENTION_MAX_HEAD_DIM. */
export function checkHeads(kernel: string, d: number, nHeads: number, multiple: number): number {
  checkCount(`${kernel}: nHeads`, nHeads);
  const headDim = d / nHeads;
  if (!Number.isInteger(headDim) || headDim % multiple !== 0)
    throw new RangeError(`${kernel}: d ${d} must split into ${nHeads} heads of a multiple of ${multiple}`);
  if (headDim > ATTENTION_MAX_HEAD_DIM) throw new RangeError(`${kernel}: headDim ${headDim} > ${ATTENTION_MAX_HEAD_DIM}`);
  return headDim;
}
