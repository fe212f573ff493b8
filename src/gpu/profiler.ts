// Per-kernel GPU time of a decode step, for developers changing the shaders.
//
// With the adapter's 'timestamp-query' feature, every op of a profiled step gets its own
// compute pass with timestampWrites (begin, end), resolved into a buffer and read back with
// the step: GPU nanoseconds per kernel (headless Chromium's SwiftShader offers it too). Without
// it (adapters or browsers that do not offer it), each op is submitted alone and timed wall-clock
// to onSubmittedWorkDone:
// an upper bound that includes submit overhead, labelled as such. Either way a profiled step
// is slower than a real one, so profile separate steps, never the ones being timed.
import type { Op, OpRunner, StepPhase } from './engine.ts';

export type ProfileSource = 'gpu-timestamps' | 'wall-clock';

export interface StepProfile {
  source: ProfileSource;
  /** Milliseconds per kernel family (shader file), summed over the step. */
  byKernel: Record<string, number>;
  /** Milliseconds per phase: MTP catch-up per module, verify. */
  byPhase: Partial<Record<StepPhase, number>>;
  /** Sum of all ops. */
  totalMs: number;
  /** Every op in order: label, phase, rows, milliseconds (for a trace export). */
  ops: { label: string; kernel: string; phase: StepPhase; rows: number; startMs: number; ms: number }[];
}

/** Most ops one profiled step may have (two timestamps each). */
const MAX_OPS = 512;

export class Profiler {
  readonly source: ProfileSource;
  private readonly querySet?: GPUQuerySet;
  private readonly resolve?: GPUBuffer;
  private readonly readback?: GPUBuffer;
  private lastOps: Op[] = [];
  private wallTimes: { startMs: number; ms: number }[] = [];

  constructor(device: GPUDevice) {
    this.source = device.features.has('timestamp-query') ? 'gpu-timestamps' : 'wall-clock';
    if (this.source === 'gpu-timestamps') {
      this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * MAX_OPS });
      this.resolve = device.createBuffer({ size: 2 * MAX_OPS * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      this.readback = device.createBuffer({ size: 2 * MAX_OPS * 8, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    }
  }

  /** The runner to pass to GpuEngine.step for one profiled step; then call `read()`. */
  readonly runner: OpRunner = async (device, encoder, ops) => {
    if (ops.length > MAX_OPS) throw new RangeError(`a profiled step may have at most ${MAX_OPS} ops, got ${ops.length}`);
    this.lastOps = ops;
    if (this.querySet) {
      ops.forEach((op, i) => {
        const pass = encoder.beginComputePass({
          label: op.dispatch.label,
          timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
        });
        op.dispatch.encode(pass, op.batch);
        pass.end();
      });
      encoder.resolveQuerySet(this.querySet, 0, 2 * ops.length, this.resolve!, 0);
      encoder.copyBufferToBuffer(this.resolve!, 0, this.readback!, 0, 2 * ops.length * 8);
      return;
    }
    this.wallTimes = [];
    const t0 = performance.now();
    for (const op of ops) {
      const one = device.createCommandEncoder({ label: op.dispatch.label });
      const pass = one.beginComputePass({ label: op.dispatch.label });
      op.dispatch.encode(pass, op.batch);
      pass.end();
      const start = performance.now();
      device.queue.submit([one.finish()]);
      await device.queue.onSubmittedWorkDone();
      this.wallTimes.push({ startMs: start - t0, ms: performance.now() - start });
    }
  };

  /** The profile of the step that last ran with `runner` (after that step resolved). */
  async read(): Promise<StepProfile> {
    const ops = this.lastOps;
    let times = this.wallTimes;
    if (this.readback) {
      await this.readback.mapAsync(GPUMapMode.READ, 0, 2 * ops.length * 8);
      const ns = new BigInt64Array(this.readback.getMappedRange(0, 2 * ops.length * 8).slice(0));
      this.readback.unmap();
      const origin = ns[0];
      times = ops.map((_, i) => ({ startMs: Number(ns[2 * i] - origin) / 1e6, ms: Number(ns[2 * i + 1] - ns[2 * i]) / 1e6 }));
    }
    const profile: StepProfile = { source: this.source, byKernel: {}, byPhase: {}, totalMs: 0, ops: [] };
    ops.forEach((op, i) => {
      const { startMs, ms } = times[i];
      profile.byKernel[op.dispatch.kernel] = (profile.byKernel[op.dispatch.kernel] ?? 0) + ms;
      profile.byPhase[op.phase] = (profile.byPhase[op.phase] ?? 0) + ms;
      profile.totalMs += ms;
      profile.ops.push({ label: op.dispatch.label, kernel: op.dispatch.kernel, phase: op.phase, rows: op.batch.rows, startMs, ms });
    });
    return profile;
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolve?.destroy();
    this.readback?.destroy();
  }
}
