// TypeScript wrappers of the WGSL kernels (shaders/*.wgsl), made to be composed by the engine.
//
// Set-up (once):  `const k = await Kernels.create(device, { headDim })` compiles every pipeline
// (createComputePipelineAsync); then one call per kernel use, e.g. `k.woFfn({...})`, creates that
// use's small static uniform (sizes, element offsets) and its bind group, and returns a Dispatch.
// Per step: `k.batches.set(slot, rows, pos0)` for each row batch of the step, `k.batches.upload()`
// (one writeBuffer), then `dispatch.encode(pass, batch)` for each kernel: setPipeline,
// setBindGroup with the batch's dynamic offset, dispatchWorkgroups. Nothing is created per step.
//
// Binding scheme, shared by every kernel (group 0):
//   binding 0: `RowBatch { rows, pos0, seq_rows, nodes, top }`, a 32-byte uniform bound with a dynamic
//              offset into `k.batches.buffer` (one 256-byte slot per row batch, written once per step);
//   binding 1: the use's static `Params` uniform (created at set-up);
//   binding 2..: storage buffers; the fused kernels (shaders/rows.wgsl) start
//              with the residual stream (2) and the weights buffer (3), the others with their
//              read-only inputs, the output last;
//   binding 8: in the kernels a draft tree changes (TREE_FAMILIES), the step's node records
//              (`k.nodes`, src/gpu/tree-rows.ts).
//
// A decode step (and a prefill) is made of these kernels: per transformer block qkv (norm,
// [Wq; Wk; Wv], RoPE, cache write), attention, and wo_ffn (Wo, residual, norm, SwiGLU, W2,
// residual); per model one input (embedding, or mtp_input for an MTP module) and one head (norm,
// logits, argmax), and the sampling kernel after the head when a step samples.
//
// Views: every operand is a `View` of a buffer, in 32-bit elements: row r of a row batch starts at
// `base + (positional ? pos0 + r : r) * stride`. A positional view is indexed by absolute position
// (a KV cache, a per-position hidden-state history, the token buffer); a row-indexed one by row in
// the batch (scratch activations). Views need no alignment, so many tensors can share one buffer; the
// weights, read as vec4s, do (multiples of 4 floats: WeightBuffer lays them out so).
import { checkSampling, type SamplingParams } from '../model/decode-engine.ts';
import { ropeTableData } from '../model/ops.ts';
import {
  ATTENTION_MAX_HEAD_DIM,
  checkCount,
  checkHeadColumns,
  checkFused,
  checkHeads,
  FFN_MAX_HIDDEN,
  FUSED_GROUP_ROWS,
  ROW_BATCH_BYTES,
  RowBatchSlots,
  SAMPLE_MAX_N,
  type Dispatch,
  type QkvCache,
  type SampleDispatch,
  type View,
} from './dispatch.ts';
import { packParams, viewFields } from './params.ts';
import { compileKernels, NODES_BINDING, TREE_FAMILIES, type Family } from './pipelines.ts';
import type { ShaderName } from './shaders.ts';
import { NodeRecords } from './tree-rows.ts';

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export class Kernels {
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    readonly device: GPUDevice,
    /** The per-step uniform slots every Dispatch reads its RowBatch from. */
    readonly batches: RowBatchSlots,
    /** The per-step draft-tree rows the tree kernels read. */
    readonly nodes: NodeRecords,
    private readonly families: Partial<Record<ShaderName, Family>>,
    private readonly pipelines: Map<string, GPUComputePipeline>,
    /** The head size the attention kernel was compiled for. */
    readonly headDim: number,
  ) {}

  /**
   * Compiles the kernels (pipelines.ts; `only` these families, the others then throw). `headDim`: the
   * model's head size. `slots`: row batches one submission may set; `nodes`: draft-tree rows (64 each by default).
   */
  static async create(
    device: GPUDevice,
    options: { headDim: number; slots?: number; nodes?: number; only?: ShaderName[] },
  ): Promise<Kernels> {
    const { headDim } = options;
    if (!Number.isInteger(headDim) || headDim < 4 || headDim > ATTENTION_MAX_HEAD_DIM || headDim % 4 !== 0)
      throw new RangeError(`headDim must be a multiple of 4 up to ${ATTENTION_MAX_HEAD_DIM}, got ${headDim}`);
    const { families, pipelines } = await compileKernels(device, headDim, options.only);
    const batches = new RowBatchSlots(device, options.slots ?? 64);
    return new Kernels(device, batches, new NodeRecords(device, options.nodes ?? 64), families, pipelines, headDim);
  }

  /** A storage buffer holding the RoPE cos/sin table, for `qkv`. */
  ropeTable(headDim: number, maxLen: number, theta: number): GPUBuffer {
    const data = ropeTableData(headDim, maxLen, theta);
    const buffer = this.device.createBuffer({
      label: 'rope table',
      size: data.byteLength,
      usage: GPUBufferUsage.STORAGE,
      mappedAtCreation: true,
    });
    new Float32Array(buffer.getMappedRange()).set(data);
    buffer.unmap();
    this.owned.push(buffer);
    return buffer;
  }

  /** out[r, :] = table[tokens[r], :] (token ids read on the GPU; ids >= vocab clamp to vocab - 1). */
  embedding(o: { table: View; tokens: View; out: View; d: number; vocab: number; label?: string }): Dispatch {
    checkCount('d', o.d);
    checkCount('vocab', o.vocab);
    const values = {
      d: o.d,
      vocab: o.vocab,
      table_base: o.table.base ?? 0,
      ...viewFields('tok', o.tokens, 1),
      ...viewFields('o', o.out, o.d),
    };
    return this.simple('embedding', o.label, values, [o.table.buffer, o.tokens.buffer, o.out.buffer], (rows) => [ceilDiv(o.d, 64), rows]);
  }

  /**
   * MTP module k's input (mtp-input.wgsl): out[r] = [norm(x[r]) * hnorm ; norm(E[token r]) * enorm]
   * projected by `proj` ([d, 2d]). `x` is the previous model's stream, `tokens` the token buffer seen
   * k positions ahead (a positional view at base k).
   */
  mtpInput(o: {
    x: View;
    tokens: View;
    table: View;
    hnorm: View;
    enorm: View;
    proj: View;
    out: View;
    d: number;
    vocab: number;
    eps: number;
    label?: string;
  }): Dispatch {
    const weights = checkFused('mtp_input', o.d, { table: o.table, hnorm: o.hnorm, enorm: o.enorm, proj: o.proj }, { proj: o.d });
    checkCount('vocab', o.vocab);
    const values = {
      d: o.d,
      vocab: o.vocab,
      eps: o.eps,
      ...viewFields('x', o.x, o.d),
      ...viewFields('tok', o.tokens, 1),
      e_base: o.table.base ?? 0,
      gh_base: o.hnorm.base ?? 0,
      ge_base: o.enorm.base ?? 0,
      w_base: o.proj.base ?? 0,
      ...viewFields('y', o.out, o.d),
    };
    return this.simple('mtp_input', o.label, values, [o.x.buffer, weights, o.tokens.buffer, o.out.buffer], (rows) => [
      ceilDiv(o.d / 4, 64),
      ceilDiv(rows, FUSED_GROUP_ROWS),
    ]);
  }

  /**
   * A block's attention input (qkv.wgsl): the rows of `x` normalised with `norm`, times the stacked
   * [Wq; Wk; Wv] `w` ([3d, d]), RoPE on Q and K at the rows' positions (`table` from ropeTable), into
   * the cache rows at those positions.
   */
  qkv(o: {
    x: View;
    norm: View;
    w: View;
    cache: QkvCache;
    table: GPUBuffer;
    d: number;
    nHeads: number;
    eps: number;
    label?: string;
  }): Dispatch {
    const weights = checkFused('qkv', o.d, { norm: o.norm, w: o.w }, { w: 3 * o.d });
    const headDim = checkHeads('qkv', o.d, o.nHeads, 8);
    const values = {
      d: o.d,
      n_heads: o.nHeads,
      head_dim: headDim,
      eps: o.eps,
      ...viewFields('x', o.x, o.d),
      g_base: o.norm.base ?? 0,
      w_base: o.w.base ?? 0,
      ...viewFields('c', { base: o.cache.base, stride: 3 * o.d, positional: true }, 3 * o.d),
    };
    return this.simple('qkv', o.label, values, [o.x.buffer, weights, o.table, o.cache.buffer], (rows) => [
      ceilDiv((3 * o.d) / 8, 64),
      ceilDiv(rows, FUSED_GROUP_ROWS),
    ]);
  }

  /**
   * A block's causal attention over its cache (attention.wgsl): row r at position pos0 + r sees cache
   * rows 0..pos0 + r (its own already written by qkv); the heads' outputs go to `out`, d wide.
   */
  attention(o: { cache: QkvCache; out: View; d: number; nHeads: number; label?: string }): Dispatch {
    const headDim = checkHeads('attention', o.d, o.nHeads, 4);
    if (headDim !== this.headDim)
      throw new RangeError(
        `attention: heads of ${headDim} dims, but the kernel was compiled for ${this.headDim} (Kernels.create's headDim)`,
      );
    const base = o.cache.base ?? 0;
    const values = {
      n_heads: o.nHeads,
      scale: 1 / Math.sqrt(headDim),
      c_stride: 3 * o.d,
      q_base: base,
      k_base: base + o.d,
      v_base: base + 2 * o.d,
      ...viewFields('o', o.out, o.d),
    };
    return this.simple('attention', o.label, values, [o.cache.buffer, o.out.buffer], (rows) => [o.nHeads, rows]);
  }

  /**
   * The rest of a block (wo-ffn.wgsl): x += Wo att, then x += W2 (silu(W1 a) * W3 a) with
   * a = norm(x); `w13` is [W1; W3] as one product.
   */
  woFfn(o: {
    x: View;
    att: View;
    wo: View;
    norm: View;
    w13: View;
    w2: View;
    d: number;
    hidden: number;
    eps: number;
    label?: string;
  }): Dispatch {
    const weights = checkFused('wo_ffn', o.d, { wo: o.wo, norm: o.norm, w13: o.w13, w2: o.w2 }, { wo: o.d, w13: 2 * o.hidden, w2: o.d });
    checkCount('wo_ffn: hidden', o.hidden);
    if (o.hidden % 4 !== 0 || o.hidden > FFN_MAX_HIDDEN)
      throw new RangeError(`wo_ffn: hidden must be a multiple of 4 up to ${FFN_MAX_HIDDEN}, got ${o.hidden}`);
    const values = {
      d: o.d,
      hidden: o.hidden,
      eps: o.eps,
      ...viewFields('x', o.x, o.d),
      ...viewFields('o', o.att, o.d),
      wo_base: o.wo.base ?? 0,
      g_base: o.norm.base ?? 0,
      w13_base: o.w13.base ?? 0,
      w2_base: o.w2.base ?? 0,
    };
    return this.simple('wo_ffn', o.label, values, [o.x.buffer, weights, o.att.buffer], (rows) => [ceilDiv(rows, FUSED_GROUP_ROWS)]);
  }

  /**
   * A model's head (head.wgsl): logits[r] = E norm(x[r]) over the `n` rows of the tied `table`, and
   * ids[r] (u32) = their argmax, ties to the lowest index. `ids` may be a positional view of the
   * token buffer: a module's draft lands where the next gather reads it. With a draft `vocabulary`
   * (its ascending token ids, `count` u32s), `table` holds only those tokens' columns, and every
   * other logit of a row is EXCLUDED_LOGIT.
   */
  head(o: {
    x: View;
    norm: View;
    table: View;
    logits: View;
    ids: View;
    d: number;
    n: number;
    eps: number;
    vocabulary?: { ids: GPUBuffer; count: number };
    label?: string;
  }): Dispatch {
    const cols = checkHeadColumns(o.n, o.vocabulary?.count);
    const weights = checkFused('head', o.d, { norm: o.norm, table: o.table }, { table: cols });
    const values = {
      d: o.d,
      n: o.n,
      cols,
      mapped: o.vocabulary ? 1 : 0,
      eps: o.eps,
      ...viewFields('x', o.x, o.d),
      g_base: o.norm.base ?? 0,
      e_base: o.table.base ?? 0,
      ...viewFields('l', o.logits, o.n),
      ...viewFields('o', o.ids, 1),
    };
    // Without a draft vocabulary the kernel never reads binding 6: the weights buffer stands in (read-only twice is allowed).
    const vocabulary = o.vocabulary?.ids ?? weights;
    return this.simple('head', o.label, values, [o.x.buffer, weights, o.logits.buffer, o.ids.buffer, vocabulary], (rows) => [
      ceilDiv(rows, FUSED_GROUP_ROWS),
    ]);
  }

  /**
   * Draws a token per row from softmax(logits / temperature) cut to its top-p nucleus (inverse CDF at
   * the row's uniform in [0, 1), read from `uniforms`), writes the token (u32) to `out` and that
   * distribution (n floats, 0 outside the nucleus) to `probs`. `out` may be a positional view of the
   * token buffer, as for argmax. n <= SAMPLE_MAX_N. See shaders/sample.wgsl.
   */
  sample(o: { logits: View; uniforms: View; probs: View; out: View; n: number; label?: string } & SamplingParams): SampleDispatch {
    checkCount('n', o.n);
    if (o.n > SAMPLE_MAX_N) throw new RangeError(`sample: rows of ${o.n} > ${SAMPLE_MAX_N}`);
    const values = (s: SamplingParams) => {
      checkSampling(s);
      return {
        n: o.n,
        inv_temp: 1 / s.temperature,
        top_p: s.topP,
        ...viewFields('x', o.logits, o.n),
        ...viewFields('u', o.uniforms, 1),
        ...viewFields('p', o.probs, o.n),
        ...viewFields('o', o.out, 1),
      };
    };
    const params = this.params('sample', o.label, values(o));
    const buffers = [o.logits.buffer, o.uniforms.buffer, o.probs.buffer, o.out.buffer];
    const dispatch = this.simple('sample', o.label, params, buffers, (rows) => [rows]);
    return {
      ...dispatch,
      setSampling: (s: SamplingParams) => this.device.queue.writeBuffer(params, 0, packParams('sample', values(s))),
    };
  }

  /**
   * The draft tree's compaction (compact.wgsl): a row batch of moves (Node src -> pos) of the main
   * model's rows, in every layer of `caches` (one buffer: layer l at l * cLayer floats, rows of 3d)
   * and in `stream` (rows of d).
   */
  compact(o: { caches: GPUBuffer; layers: number; cLayer: number; stream: GPUBuffer; d: number; label?: string }): Dispatch {
    checkCount('compact: layers', o.layers);
    checkCount('d', o.d);
    if (o.cLayer < 3 * o.d) throw new RangeError(`compact: a layer's cache (${o.cLayer} floats) is smaller than a row of 3d`);
    const values = { layers: o.layers, c_layer: o.cLayer, c_width: 3 * o.d, d: o.d };
    return this.simple('compact', o.label, values, [o.caches, o.stream], () => [4]);
  }

  /** Destroys the buffers this object created (row batch slots, static uniforms, RoPE tables). */
  destroy(): void {
    for (const b of this.owned.splice(0)) b.destroy();
    this.batches.destroy();
    this.nodes.destroy();
  }

  private pipeline(key: string): GPUComputePipeline {
    const p = this.pipelines.get(key);
    if (!p) throw new Error(`no pipeline ${key}`);
    return p;
  }

  private params(kernel: ShaderName, label: string | undefined, values: Record<string, number>): GPUBuffer {
    const packed = packParams(kernel, values);
    const bytes = packed.byteLength;
    const buffer = this.device.createBuffer({
      label: `${label ?? kernel} params`,
      size: bytes,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      mappedAtCreation: true,
    });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(packed));
    buffer.unmap();
    this.owned.push(buffer);
    return buffer;
  }

  private bindGroup(
    kernel: ShaderName,
    label: string | undefined,
    params: Record<string, number> | GPUBuffer,
    storage: GPUBuffer[],
  ): GPUBindGroup {
    const family = this.families[kernel];
    if (!family) throw new Error(`kernel family ${kernel} was not compiled (Kernels.create's "only")`);
    if (storage.length !== family.storage.length) throw new Error(`${kernel}: ${storage.length} storage buffers`);
    const paramsBuffer = params instanceof GPUBuffer ? params : this.params(kernel, label, params);
    return this.device.createBindGroup({
      label: label ?? kernel,
      layout: family.layout,
      entries: [
        { binding: 0, resource: { buffer: this.batches.buffer, offset: 0, size: ROW_BATCH_BYTES } },
        { binding: 1, resource: { buffer: paramsBuffer } },
        ...storage.map((buffer, i) => ({ binding: i + 2, resource: { buffer } })),
        ...(TREE_FAMILIES.includes(kernel) ? [{ binding: NODES_BINDING, resource: { buffer: this.nodes.buffer } }] : []),
      ],
    });
  }

  /** A Dispatch of a single-entry-point kernel whose workgroup grid depends on the row batch. */
  private simple(
    kernel: ShaderName,
    label: string | undefined,
    params: Record<string, number> | GPUBuffer,
    storage: GPUBuffer[],
    grid: (rows: number, pos0: number) => number[],
  ): Dispatch {
    const bindGroup = this.bindGroup(kernel, label, params, storage);
    const pipeline = this.pipeline(kernel);
    return {
      kernel,
      label: label ?? kernel,
      encode(pass, batch) {
        if (batch.rows === 0) return;
        const [x, y = 1, z = 1] = grid(batch.rows, batch.pos0);
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup, [batch.offset]);
        pass.dispatchWorkgroups(x, y, z);
      },
    };
  }
}
