// TypeScript wrappers of the WGSL kernels (shaders/*.wgsl), made to be composed by the engine.
//
// Set-up (once):  `const k = await Kernels.create(device)` compiles every pipeline
// (createComputePipelineAsync); then one call per kernel use, e.g. `k.matmul({...})`, creates that
// use's small static uniform (sizes, element offsets) and its bind group, and returns a Dispatch.
// Per step: `k.blocks.set(slot, rows, pos0)` for each block run in the step, `k.blocks.upload()`
// (one writeBuffer), then `dispatch.encode(pass, block)` for each kernel: setPipeline,
// setBindGroup with the block's dynamic offset, dispatchWorkgroups. Nothing is created per step.
//
// Binding scheme, shared by every kernel (group 0):
//   binding 0: `Block { rows, pos0 }`, a 16-byte uniform bound with a dynamic offset into
//              `k.blocks.buffer` (one 256-byte slot per block run, written once per step);
//   binding 1: the use's static `Params` uniform (created at set-up);
//   binding 2..: storage buffers, read-only inputs first, the output last.
//
// Views: every operand is a `View` of a buffer, in 32-bit elements: row r of a block starts at
// `base + (positional ? pos0 + r : r) * stride`. A positional view is indexed by absolute position
// (a KV cache, a per-position hidden-state history, the token buffer); a plain one by row in the
// block (scratch activations). Views need no alignment, so many tensors can share one buffer.
import { checkSampling } from '../model/decode-engine.ts';
import { ropeCosSin } from '../model/ops.ts';
import {
  ATTENTION_MAX_HEAD_DIM,
  BLOCK_BYTES,
  BlockParams,
  DECODE_MAX_ROWS,
  SAMPLE_MAX_N,
  type Block,
  type Dispatch,
  type MatmulDispatch,
  type MatmulVariant,
  type SampleDispatch,
  type SampleSetting,
  type View,
} from './dispatch.ts';
import { packParams, paramsLayout, viewFields } from './params.ts';
import { shaders, type ShaderName } from './shaders.ts';

/** cos/sin of every (position, pair index), by ops.ropeCosSin: the CPU reference's own values. */
export function ropeTableData(headDim: number, maxLen: number, theta: number): Float32Array {
  const half = headDim / 2;
  const table = new Float32Array(maxLen * half * 2);
  for (let pos = 0; pos < maxLen; pos++)
    for (let j = 0; j < half; j++) table.set(ropeCosSin(pos, j, headDim, theta), (pos * half + j) * 2);
  return table;
}

type Access = 'read' | 'rw';

interface Family {
  layout: GPUBindGroupLayout;
  storage: Access[];
}

// Each shader's storage bindings from binding 2 on, and its entry points (its Params: params.ts).
const FAMILIES: Record<ShaderName, { storage: Access[]; entries: string[] }> = {
  embedding: { storage: ['read', 'read', 'rw'], entries: ['main'] },
  rmsnorm: { storage: ['read', 'read', 'read', 'read', 'rw'], entries: ['main'] },
  matmul: { storage: ['read', 'read', 'rw'], entries: ['rows', 'tiled'] },
  rope: { storage: ['read', 'rw'], entries: ['main'] },
  attention: { storage: ['read', 'read', 'read', 'rw'], entries: ['main'] },
  ffn: { storage: ['read', 'read', 'rw'], entries: ['main'] },
  argmax: { storage: ['read', 'rw'], entries: ['main'] },
  sample: { storage: ['read', 'read', 'rw', 'rw'], entries: ['main'] },
};

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

function checkCount(what: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${n}`);
}


export class Kernels {
  private readonly owned: GPUBuffer[] = [];

  private constructor(
    readonly device: GPUDevice,
    /** The per-step uniform slots every Dispatch reads its Block from. */
    readonly blocks: BlockParams,
    private readonly families: Partial<Record<ShaderName, Family>>,
    private readonly pipelines: Map<string, GPUComputePipeline>,
    /** The matmul variant for blocks of more than DECODE_MAX_ROWS rows. */
    readonly prefillMatmul: MatmulVariant,
  ) {}

  /**
   * Compiles the kernels. `slots`: how many block runs one step may set (default 64). `only`: compile
   * just these families (tests; SwiftShader takes seconds per pipeline), the others then throw.
   * `prefillMatmul`: the matmul variant for blocks of more than 4 rows; default `rows` on a CPU
   * adapter (SwiftShader: measured 3x faster there, see matmul.wgsl), `tiled` on a GPU.
   */
  static async create(
    device: GPUDevice,
    options: { slots?: number; only?: ShaderName[]; prefillMatmul?: MatmulVariant } = {},
  ): Promise<Kernels> {
    const families: Partial<Record<ShaderName, Family>> = {};
    const pending: Promise<[string, GPUComputePipeline]>[] = [];
    for (const [name, f] of Object.entries(FAMILIES) as [ShaderName, (typeof FAMILIES)[ShaderName]][]) {
      if (options.only && !options.only.includes(name)) continue;
      const layout = device.createBindGroupLayout({
        label: name,
        entries: [
          {
            binding: 0,
            visibility: GPUShaderStage.COMPUTE,
            buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: BLOCK_BYTES },
          },
          { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', minBindingSize: paramsLayout(name).bytes } },
          ...f.storage.map((access, i) => ({
            binding: i + 2,
            visibility: GPUShaderStage.COMPUTE,
            buffer: { type: access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
          })),
        ],
      });
      families[name] = { layout, storage: f.storage };
      const module = device.createShaderModule({ label: name, code: shaders[name] });
      const pipelineLayout = device.createPipelineLayout({ label: name, bindGroupLayouts: [layout] });
      for (const entryPoint of f.entries)
        pending.push(
          device
            .createComputePipelineAsync({
              label: `${name}.${entryPoint}`,
              layout: pipelineLayout,
              compute: { module, entryPoint },
            })
            .then((p): [string, GPUComputePipeline] => [`${name}.${entryPoint}`, p]),
        );
    }
    const pipelines = new Map(await Promise.all(pending));
    const prefill = options.prefillMatmul ?? (isCpuAdapter(device) ? 'rows' : 'tiled');
    return new Kernels(device, new BlockParams(device, options.slots ?? 64), families, pipelines, prefill);
  }

  /** A storage buffer holding the RoPE cos/sin table, for `rope`. */
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
    const values = { d: o.d, vocab: o.vocab, table_base: o.table.base ?? 0, ...viewFields('tok', o.tokens, 1), ...viewFields('o', o.out, o.d) };
    return this.simple('embedding', o.label, values, [o.table.buffer, o.tokens.buffer, o.out.buffer], (rows) => [
      ceilDiv(o.d, 64),
      rows,
    ]);
  }

  /**
   * RMSNorm of `n` wide rows: out = norm(x) * weight. With `second`, the MTP input pair:
   * out[r] = [norm(x[r]) * weight ; norm(second.x[r]) * second.weight], 2n wide.
   */
  rmsnorm(o: {
    x: View;
    weight: View;
    out: View;
    n: number;
    eps: number;
    second?: { x: View; weight: View };
    label?: string;
  }): Dispatch {
    checkCount('n', o.n);
    const parts = o.second ? 2 : 1;
    const b = o.second ?? { x: o.x, weight: o.weight };
    const values = {
      n: o.n,
      eps: o.eps,
      ...viewFields('a', o.x, o.n),
      ...viewFields('b', b.x, o.n),
      wa_base: o.weight.base ?? 0,
      wb_base: b.weight.base ?? 0,
      ...viewFields('o', o.out, parts * o.n),
    };
    const buffers = [o.x.buffer, b.x.buffer, o.weight.buffer, b.weight.buffer, o.out.buffer];
    return this.simple('rmsnorm', o.label, values, buffers, (rows) => [rows, parts]);
  }

  /**
   * out[r, n] = x[r, :] . w[n, :] for an [N, K] weight (PyTorch's [out, in]); with `residual`,
   * out[r, n] += that (in place: the output view is the residual stream). K, x's base and stride, w's
   * base and both buffers' sizes must be multiples of 4 floats (the kernel reads vec4s). Every element is the same
   * sequential fma chain over k in both variants, so results are bit-identical whatever the block size.
   */
  matmul(o: { x: View; w: View; out: View; K: number; N: number; residual?: boolean; label?: string }): MatmulDispatch {
    checkCount('K', o.K);
    checkCount('N', o.N);
    // matmul.wgsl reads x and w as vec4s.
    const vec4 = { K: o.K, 'x.base': o.x.base ?? 0, 'x.stride': o.x.stride ?? o.K, 'w.base': o.w.base ?? 0, 'x buffer size': o.x.buffer.size / 4, 'w buffer size': o.w.buffer.size / 4 };
    for (const [what, floats] of Object.entries(vec4))
      if (floats % 4 !== 0) throw new RangeError(`matmul ${o.label ?? ''}: ${what} must be a multiple of 4 floats (vec4 loads), got ${floats}`);
    const values = { K: o.K, N: o.N, ...viewFields('x', o.x, o.K), w_base: o.w.base ?? 0, ...viewFields('y', o.out, o.N), residual: o.residual ? 1 : 0 };
    const bindGroup = this.bindGroup('matmul', o.label, values, [o.x.buffer, o.w.buffer, o.out.buffer]);
    const rows = this.pipeline('matmul.rows');
    const tiled = this.pipeline('matmul.tiled');
    const encodeVariant = (pass: GPUComputePassEncoder, block: Block, variant: MatmulVariant) => {
      if (block.rows === 0) return;
      pass.setPipeline(variant === 'rows' ? rows : tiled);
      pass.setBindGroup(0, bindGroup, [block.offset]);
      pass.dispatchWorkgroups(ceilDiv(o.N, 64), ceilDiv(block.rows, variant === 'rows' ? 4 : 64));
    };
    const prefill = this.prefillMatmul;
    return {
      kernel: 'matmul',
      label: o.label ?? 'matmul',
      encodeVariant,
      encode: (pass, block) => encodeVariant(pass, block, block.rows <= DECODE_MAX_ROWS ? 'rows' : prefill),
    };
  }

  /** RoPE in place on the rows of `x` (q or k), row r at position pos0 + r; `table` from ropeTable. */
  rope(o: { x: View; table: GPUBuffer; nHeads: number; headDim: number; label?: string }): Dispatch {
    checkCount('nHeads', o.nHeads);
    checkCount('headDim', o.headDim, 2);
    if (o.headDim % 2 !== 0) throw new RangeError(`headDim must be even, got ${o.headDim}`);
    const values = { n_heads: o.nHeads, head_dim: o.headDim, ...viewFields('x', o.x, o.nHeads * o.headDim) };
    const pairs = (o.nHeads * o.headDim) / 2;
    return this.simple('rope', o.label, values, [o.table, o.x.buffer], (rows) => [ceilDiv(pairs, 64), rows]);
  }

  /**
   * Causal attention of the block's query rows over a KV cache (rows = absolute positions; the
   * block's own rows already written): row r attends to cache rows 0..pos0 + r. `k`/`v` views are
   * always positional (their `positional` flag is ignored).
   */
  attention(o: { q: View; k: View; v: View; out: View; nHeads: number; headDim: number; label?: string }): Dispatch {
    checkCount('nHeads', o.nHeads);
    checkCount('headDim', o.headDim);
    if (o.headDim > ATTENTION_MAX_HEAD_DIM) throw new RangeError(`headDim ${o.headDim} > ${ATTENTION_MAX_HEAD_DIM}`);
    const d = o.nHeads * o.headDim;
    const { k_pos: _k, ...k } = viewFields('k', o.k, d);
    const { v_pos: _v, ...v } = viewFields('v', o.v, d);
    const values = { n_heads: o.nHeads, head_dim: o.headDim, scale: 1 / Math.sqrt(o.headDim), ...viewFields('q', o.q, d), ...k, ...v, ...viewFields('o', o.out, d) };
    const buffers = [o.q.buffer, o.k.buffer, o.v.buffer, o.out.buffer];
    return this.simple('attention', o.label, values, buffers, (rows) => [o.nHeads, rows]);
  }

  /** SwiGLU's gate: out = silu(gate) * up, `n` wide (gate and up may be views of one buffer). */
  siluMul(o: { gate: View; up: View; out: View; n: number; label?: string }): Dispatch {
    checkCount('n', o.n);
    const values = { n: o.n, ...viewFields('g', o.gate, o.n), ...viewFields('u', o.up, o.n), ...viewFields('o', o.out, o.n) };
    return this.simple('ffn', o.label, values, [o.gate.buffer, o.up.buffer, o.out.buffer], (rows) => [ceilDiv(o.n, 64), rows]);
  }

  /** out[r] (u32) = argmax of the `n` logits of row r, ties to the lowest index. */
  argmax(o: { logits: View; out: View; n: number; label?: string }): Dispatch {
    checkCount('n', o.n);
    const values = { n: o.n, ...viewFields('x', o.logits, o.n), ...viewFields('o', o.out, 1) };
    return this.simple('argmax', o.label, values, [o.logits.buffer, o.out.buffer], (rows) => [rows]);
  }

  /**
   * Draws a token per row from softmax(logits / temperature) cut to its top-p nucleus (inverse CDF at
   * the row's uniform in [0, 1), read from `uniforms`), writes the token (u32) to `out` and that
   * distribution (n floats, 0 outside the nucleus) to `probs`. `out` may be a positional view of the
   * token buffer, as for argmax. n <= SAMPLE_MAX_N. See shaders/sample.wgsl.
   */
  sample(o: { logits: View; uniforms: View; probs: View; out: View; n: number; label?: string } & SampleSetting): SampleDispatch {
    checkCount('n', o.n);
    if (o.n > SAMPLE_MAX_N) throw new RangeError(`sample: rows of ${o.n} > ${SAMPLE_MAX_N}`);
    const values = (s: SampleSetting) => {
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
      setSampling: (s: SampleSetting) => this.device.queue.writeBuffer(params, 0, packParams('sample', values(s))),
    };
  }

  /** Destroys the buffers this object created (block slots, static uniforms, RoPE tables). */
  destroy(): void {
    for (const b of this.owned.splice(0)) b.destroy();
    this.blocks.destroy();
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

  private bindGroup(kernel: ShaderName, label: string | undefined, params: Record<string, number> | GPUBuffer, storage: GPUBuffer[]): GPUBindGroup {
    const family = this.families[kernel];
    if (!family) throw new Error(`kernel family ${kernel} was not compiled (Kernels.create's "only")`);
    if (storage.length !== family.storage.length) throw new Error(`${kernel}: ${storage.length} storage buffers`);
    const paramsBuffer = params instanceof GPUBuffer ? params : this.params(kernel, label, params);
    return this.device.createBindGroup({
      label: label ?? kernel,
      layout: family.layout,
      entries: [
        { binding: 0, resource: { buffer: this.blocks.buffer, offset: 0, size: BLOCK_BYTES } },
        { binding: 1, resource: { buffer: paramsBuffer } },
        ...storage.map((buffer, i) => ({ binding: i + 2, resource: { buffer } })),
      ],
    });
  }

  /** A Dispatch of a single-entry-point kernel whose workgroup grid depends on the block. */
  private simple(
    kernel: ShaderName,
    label: string | undefined,
    params: Record<string, number> | GPUBuffer,
    storage: GPUBuffer[],
    grid: (rows: number, pos0: number) => number[],
  ): Dispatch {
    const bindGroup = this.bindGroup(kernel, label, params, storage);
    const pipeline = this.pipeline(`${kernel}.main`);
    return {
      kernel,
      label: label ?? kernel,
      encode(pass, block) {
        if (block.rows === 0) return;
        const [x, y = 1, z = 1] = grid(block.rows, block.pos0);
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup, [block.offset]);
        pass.dispatchWorkgroups(x, y, z);
      },
    };
  }
}

/** Whether the device runs on a CPU rasteriser (SwiftShader), where the `rows` matmul is faster. */
function isCpuAdapter(device: GPUDevice): boolean {
  const info = (device as { adapterInfo?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).adapterInfo;
  return !!info && (info.isFallbackAdapter === true || info.architecture === 'swiftshader' || info.vendor === 'mesa');
}
