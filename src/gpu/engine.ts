// The WebGPU engine: the main model and its MTP modules on the WGSL kernels, one
// `queue.submit` and one `mapAsync` per decode step (see DecodeEngine in
// src/model/decode-engine.ts for the step's contract).
//
// Everything is created once in `GpuEngine.create` (src/gpu/stacks.ts): one buffer for all
// weights, the token buffer, one residual stream per model indexed by absolute position (after its
// last block it holds h^0, resp. h^k, at every position, which is what the next MTP module reads),
// a Q | K | V cache per block, and every kernel use with its bind group: per model an input, three
// fused kernels a block and a head (src/gpu/kernels.ts). A step only writes the new tokens and the
// row batch slots (rows, pos0), encodes and submits.
//
// Drafts never leave the GPU inside a step: module k's argmax at the newest position writes
// its token into the token buffer at the position it predicts; module k+1 and the main
// model's verify batch read it from there. `commit` later overwrites those slots with the
// true tokens. One small copy (verify argmax, drafts, the verify rows' logits) goes to a staging
// buffer at the end.
//
// Sampling (a step with a `sampling` argument): each module's head is followed by the sampling
// kernel (shaders/sample.wgsl), which overwrites the head's argmax: it draws the draft from the module's distribution q_k
// (temperature, top-p) by inverse CDF at a uniform the decode loop drew on the CPU, and writes it into
// the token buffer as argmax would. The uniforms go up in one small writeBuffer per step. The verify
// batch runs the head (its argmax) and the sampling kernel (for p_j; its own draws are unused), and the copy also
// takes p (depth + 1 rows) and q (depth rows) of V floats each: still one submit and one mapAsync.
// The accept / resample decision is the CPU's (src/decode/sampling.ts).
//
// A draft-tree step (treeStep) runs the same kernels on the rows of src/gpu/tree-rows.ts: each
// module once (its catch-up rows, then its tree rows; the drafting rows' head writes their best
// candidates into the token buffer), then the main model on the root and every node, each row
// seeing the committed prefix and its own branch. Still one submit and one readback. The commit
// that follows leaves the accepted path's moves for the next submission, whose first dispatch
// (compact.wgsl) puts the path's KV and h^0 in place.
import {
  checkSampling,
  checkUniform,
  type DecodeEngine,
  type PrefillSampling,
  type SamplingParams,
  type StepResult,
  type StepSampling,
  type TreeStepResult,
} from '../model/decode-engine.ts';
import { DecodeState } from '../model/decode-state.ts';
import type { DraftTree } from '../model/draft-tree.ts';
import type { Weights } from '../model/weights.ts';
import type { ModelConfig } from '../model/config.ts';
import { checkKernelLimits, type Dispatch, type RowBatch } from './dispatch.ts';
import { Kernels } from './kernels.ts';
import { ReadbackLayout } from './readback.ts';
import { stepSlots, type StepSlots } from './step-slots.ts';
import { allocate, buildStacks, VERIFY_MAX_ROWS, type Buffers, type MainStack, type Stack } from './stacks.ts';
import { treeLayout, type NodeRecord } from './tree-rows.ts';
import { WeightBuffer } from './weight-buffer.ts';
import { median } from '../model/median.ts';

/** The parts of a step, for profiles: a tree path's compaction, MTP catch-up (and drafting) per module, verify. */
export type StepPhase = 'prefill' | 'compact' | `mtp${number}` | 'verify';

/** One kernel use on one row batch: what a step is made of. */
export interface Op {
  dispatch: Dispatch;
  batch: RowBatch;
  phase: StepPhase;
}

/** Runs a step's ops; the default records them all into one compute pass. A profiler's runner
 * may time them instead (src/gpu/profiler.ts). */
export type OpRunner = (device: GPUDevice, encoder: GPUCommandEncoder, ops: Op[]) => void | Promise<void>;

export const fusedRunner: OpRunner = (_device, encoder, ops) => {
  const pass = encoder.beginComputePass({ label: 'decode step' });
  for (const op of ops) op.dispatch.encode(pass, op.batch);
  pass.end();
};

export class GpuEngine implements DecodeEngine {
  readonly config: ModelConfig;
  private readonly state: DecodeState;
  private uploadedTokens = 0;
  private lost = false;
  /** Compute dispatches the last step encoded: its ops on row batches of at least one row. */
  lastStepDispatches = 0;
  /** The sampling setting the sampling kernels' uniforms hold now ('' until the first). */
  private setting = '';
  /** The main model's logits rows of the last greedy step or prefill (for mainLogits). */
  private lastMainLogits?: Float32Array;
  /** CPU copy of the uniforms buffer. */
  private readonly uniformWords: Float32Array<ArrayBuffer>;
  /** The last commit's path moves (a side branch of a tree), for the next submission's compaction. */
  private pendingMoves: NodeRecord[] = [];
  /** Which slot each row batch of a submission takes. */
  private readonly slots: StepSlots;

  private constructor(
    readonly name: string,
    private readonly device: GPUDevice,
    private readonly kernels: Kernels,
    private readonly main: MainStack,
    private readonly mtp: Stack[],
    private readonly readback: ReadbackLayout,
    private readonly buffers: Buffers,
    config: ModelConfig,
  ) {
    this.config = config;
    this.state = new DecodeState(config.mtp_depth, config.max_seq_len);
    this.uniformWords = new Float32Array(2 * config.mtp_depth + 1);
    this.slots = stepSlots(config.mtp_depth);
    device.lost.then(() => (this.lost = true));
  }

  static async create(device: GPUDevice, weights: Weights, name = 'WebGPU'): Promise<GpuEngine> {
    checkKernelLimits(weights.config);
    const slots = stepSlots(weights.config.mtp_depth).count;
    const kernels = await Kernels.create(device, { headDim: weights.config.d_model / weights.config.n_heads, slots });
    const buffers = allocate(device, weights.config);
    const weightBuffer = new WeightBuffer(device, weights);
    buffers.owned.push(weightBuffer.buffer);
    if (weightBuffer.draftHead) buffers.owned.push(weightBuffer.draftHead.vocabulary.ids);
    const { main, mtp } = buildStacks(kernels, weightBuffer, buffers, weights.config);
    await device.queue.onSubmittedWorkDone();
    const readback = new ReadbackLayout(weights.config.vocab_size, weights.config.mtp_depth, buffers.verifyRows);
    return new GpuEngine(name, device, kernels, main, mtp, readback, buffers, weights.config);
  }

  get length(): number {
    return this.state.tokens.length;
  }

  async prefill(prompt: readonly number[], depth: number, sampling?: PrefillSampling): Promise<number> {
    if (sampling) {
      this.useSetting(sampling);
      this.writeUniforms(this.config.mtp_depth, [sampling.uniform]); // main row 0's uniform
    }
    this.state.reset(prompt, depth);
    this.uploadedTokens = 0;
    this.pendingMoves = [];
    this.kernels.nodes.reset();
    const P = prompt.length;
    const { batches } = this.kernels;
    const all = batches.set(this.slots.prefillRows, P, 0);
    const last = batches.set(this.slots.prefillHead, 1, P - 1);
    const ops = this.stackOps(this.main, all, last, 'prefill', !!sampling);
    this.mtp.slice(0, depth).forEach((stack, k0) => {
      // Module k runs where its input token (i + k) is in the prompt; it drafts nothing yet.
      ops.push(...this.stackOps(stack, batches.set(this.slots.prefillModule(k0), Math.max(0, P - (k0 + 1)), 0), null, 'prefill'));
    });
    const { verified } = await this.submit(ops, 0, fusedRunner, { drafts: false, probs: false, sampledToken: !!sampling });
    return verified[0];
  }

  /** One step (DecodeEngine.step); the profiler passes its own `runner` to time each kernel. */
  async step(depth: number, sampling?: StepSampling, runner: OpRunner = fusedRunner): Promise<StepResult> {
    if (sampling) {
      this.useSetting(sampling);
      if (sampling.uniforms.length < depth) throw new RangeError(`a sampling step of depth ${depth} needs ${depth} uniforms`);
      this.writeUniforms(0, sampling.uniforms.slice(0, depth));
    }
    const ops = this.stepOps(depth, !!sampling);
    this.lastStepDispatches = ops.filter((op) => op.batch.rows > 0).length;
    const result = await this.submit(ops, depth, runner, { drafts: true, probs: !!sampling });
    this.state.stepRan(result.drafts);
    return result;
  }

  /** A draft-tree step (DecodeEngine.treeStep); the profiler passes its own `runner`. */
  async treeStep(tree: DraftTree, runner: OpRunner = fusedRunner): Promise<TreeStepResult> {
    const ops = this.treeOps(tree);
    this.lastStepDispatches = ops.filter((op) => op.batch.rows > 0).length;
    const { drafts, verified } = await this.submit(ops, tree.size, runner, { drafts: true, probs: false });
    this.state.treeRan(tree, drafts);
    return { tokens: drafts, verified };
  }

  /** The ops of a tree step: the layout of src/gpu/tree-rows.ts, one row batch a model (and one for its head). */
  private treeOps(tree: DraftTree): Op[] {
    const plan = this.state.planTree(tree);
    const L = this.state.tokens.length;
    const layout = treeLayout(tree, L);
    const { batches, nodes } = this.kernels;
    const ops = this.compactionOps();
    plan.mtp.forEach(({ from }, k0) => {
      const k = k0 + 1;
      const seqRows = L - k - from; // positions from .. L - 1 - k: their token k ahead is committed
      if (k === 1) {
        // Module 1's newest row (position L - 2) drafts the root's children, tokens L, L + 1, ..
        const head = batches.set(this.slots.moduleHead(0), 1, L - 2, { seqRows: 1, nodes: 0, top: layout.rootCandidates });
        ops.push(...this.stackOps(this.mtp[0], batches.set(this.slots.moduleRows(0), seqRows, from), head, 'mtp1'));
        return;
      }
      const m = layout.modules[k - 2];
      const first = nodes.add(m.rows);
      const rows = batches.set(this.slots.moduleRows(k0), seqRows + m.rows.length, from, { seqRows, nodes: first, top: 1 });
      const head = batches.set(this.slots.moduleHead(k0), m.rows.length - m.drafting, m.slot0 + m.drafting, {
        seqRows: 0,
        nodes: first + m.drafting,
        top: m.top,
      });
      ops.push(...this.stackOps(this.mtp[k0], rows, head, `mtp${k}`));
    });
    const verify = batches.set(this.slots.verify(tree.depth), tree.size + 1, L - 1, {
      seqRows: 1,
      nodes: nodes.add(layout.verify),
      top: 1,
    });
    ops.push(...this.stackOps(this.main, verify, verify, 'verify'));
    return ops;
  }

  /** Starts a submission's ops: clears the last step's tree rows, and moves the last commit's path into place. */
  private compactionOps(): Op[] {
    const { batches, nodes } = this.kernels;
    nodes.reset();
    const moves = this.pendingMoves;
    if (moves.length === 0) return [];
    this.pendingMoves = [];
    const batch = batches.set(this.slots.compact, moves.length, 0, { seqRows: 0, nodes: nodes.add(moves), top: 1 });
    return [{ dispatch: this.main.compact, batch, phase: 'compact' }];
  }

  /** The ops of one step: each module's catch-up (its newest row drafts), then the verify batch. */
  private stepOps(depth: number, sampling = false): Op[] {
    const plan = this.state.planStep(depth);
    const { batches } = this.kernels;
    const ops: Op[] = this.compactionOps();
    plan.mtp.forEach(({ from, to }, k0) => {
      const rows = batches.set(this.slots.moduleRows(k0), to - from + 1, from);
      const head = batches.set(this.slots.moduleHead(k0), 1, to);
      ops.push(...this.stackOps(this.mtp[k0], rows, head, `mtp${k0 + 1}`, sampling));
    });
    const verify = batches.set(this.slots.verify(depth), depth + 1, plan.verifyFrom);
    ops.push(...this.stackOps(this.main, verify, verify, 'verify', sampling));
    return ops;
  }

  /** Points every sampling kernel at `s` (rewrites their uniforms only when the setting changes). */
  private useSetting(s: SamplingParams): void {
    checkSampling(s);
    const key = `${s.temperature}/${s.topP}`;
    if (key === this.setting) return;
    const setting = { temperature: s.temperature, topP: s.topP };
    this.main.sample.setSampling(setting);
    for (const stack of this.mtp) stack.sample.setSampling(setting);
    this.setting = key;
  }

  /** Writes draw uniforms from slot `at` on (queue-ordered: lands before the next submit). */
  private writeUniforms(at: number, values: readonly number[]): void {
    if (values.length === 0) return;
    values.forEach(checkUniform);
    this.uniformWords.set(values, at);
    this.device.queue.writeBuffer(this.buffers.uniforms, at * 4, this.uniformWords, at, values.length);
  }

  /**
   * Wall-clock milliseconds of a main-model row batch of `rows` rows (1..VERIFY_MAX_ROWS) at the current position,
   * submit to mapped result, as a step's verify would take: the cost curve T(M). The median of
   * `repeats` submissions, so that one slow submission (a busy machine) does not move it. Run
   * between steps (it reads whatever tokens sit in the buffer; it changes no committed state).
   */
  async measureVerify(rows: number, repeats: number): Promise<number> {
    if (rows < 1 || rows > VERIFY_MAX_ROWS) throw new RangeError(`verify rows must be 1..${VERIFY_MAX_ROWS}`);
    const pos0 = Math.min(Math.max(0, this.length - 1), this.config.max_seq_len - rows);
    const batch = this.kernels.batches.set(this.slots.verify(0), rows, pos0);
    const ops = [...this.compactionOps(), ...this.stackOps(this.main, batch, batch, 'verify')];
    const read = { drafts: false, probs: false };
    await this.submit(ops, rows - 1, fusedRunner, read); // warm
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await this.submit(ops, rows - 1, fusedRunner, read);
      times.push(performance.now() - t0);
    }
    return median(times);
  }

  commit(tokens: readonly number[]): void {
    const L = this.state.tokens.length;
    const path = this.state.commit(tokens);
    // Node n (slot L - 1 + n) now holds position L + i; a chain's nodes are there already.
    this.pendingMoves = path.flatMap((n, i) => (n === i + 1 ? [] : [{ pos: L + i, src: L - 1 + n }]));
  }

  /** From the last greedy step's (or prefill's) readback: no GPU work, no extra round trip. */
  async mainLogits(row: number): Promise<Float32Array> {
    const V = this.config.vocab_size;
    const rows = this.lastMainLogits ? this.lastMainLogits.length / V : 0;
    if (!Number.isInteger(row) || row < 0 || row >= rows)
      throw new RangeError(`no main logits row ${row} in the last greedy step (it had ${rows})`);
    return this.lastMainLogits!.slice(row * V, (row + 1) * V);
  }

  /**
   * The logits of the last step (for tests and tools, not the decode loop): the main model's
   * verify rows, and each MTP module's row at the newest position. Costs its own submit.
   */
  async readLogits(depth: number): Promise<{ main: Float32Array[]; mtp: Float32Array[] }> {
    const V = this.config.vocab_size;
    const D = this.config.mtp_depth;
    const rows = 2 * D + 1; // main rows 0..D, then module k at row D + k
    const copy = this.device.createBuffer({
      label: 'logits readback',
      size: rows * V * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.buffers.logits, 0, copy, 0, rows * V * 4);
    this.device.queue.submit([encoder.finish()]);
    await copy.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(copy.getMappedRange().slice(0));
    copy.destroy();
    const row = (r: number) => all.slice(r * V, (r + 1) * V);
    return {
      main: Array.from({ length: depth + 1 }, (_, j) => row(j)),
      mtp: Array.from({ length: depth }, (_, k0) => row(D + 1 + k0)),
    };
  }

  /** Releases every GPU buffer of this engine (the device stays). */
  destroy(): void {
    for (const b of this.buffers.owned) b.destroy();
    this.kernels.destroy();
  }

  private stackOps(stack: Stack, rows: RowBatch, headRows: RowBatch | null, phase: StepPhase, sampled = false): Op[] {
    const ops = [stack.input, ...stack.blockOps].map((dispatch) => ({ dispatch, batch: rows, phase }));
    if (headRows)
      for (const dispatch of sampled ? [stack.head, stack.sample] : [stack.head]) ops.push({ dispatch, batch: headRows, phase });
    return ops;
  }

  /**
   * Uploads new tokens and row batch slots, records the ops, copies the results out, submits once
   * and maps the staging buffer once. Reads the verify argmax rows (0..depth; with `sampledToken`,
   * row 0 is the main model's drawn token instead), and with `drafts` the drafts, with `probs`
   * p (main rows 0..depth) and q (module rows 1..depth).
   */
  private async submit(
    ops: Op[],
    depth: number,
    runner: OpRunner,
    read: { drafts: boolean; probs: boolean; sampledToken?: boolean },
  ): Promise<StepResult> {
    if (this.lost) throw new Error('the WebGPU device was lost; create a new engine');
    const { tokens, staging, probs, sampled, results, logits } = this.buffers;
    const committed = this.state.tokens;
    if (this.uploadedTokens < committed.length) {
      const fresh = Uint32Array.from(committed.slice(this.uploadedTokens));
      this.device.queue.writeBuffer(tokens, this.uploadedTokens * 4, fresh);
      this.uploadedTokens = committed.length;
    }
    this.kernels.batches.upload();
    this.kernels.nodes.upload();
    const encoder = this.device.createCommandEncoder({ label: 'decode step' });
    await runner(this.device, encoder, ops);
    const request = { ...read, depth, committed: committed.length };
    this.readback.encode(encoder, { verified: results, sampled, tokens, logits, probs }, staging, request);
    this.device.queue.submit([encoder.finish()]);
    // The drafts now sit in token slots past the committed length; the next commit overwrites them.
    this.uploadedTokens = committed.length;
    const bytes = this.readback.bytes(request);
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const mapped = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    const { mainLogits, ...result } = this.readback.decode(mapped, request);
    this.lastMainLogits = mainLogits;
    return result;
  }
}
