// Profiled decode steps (src/gpu/profiler.ts) as a Chrome trace (Trace Event Format, the JSON
// that Perfetto and chrome://tracing open): pure, no GPU calls.
//
// One process (the adapter), one thread (the GPU queue). Each step is a complete event ("X")
// that encloses one event per phase (MTP catch-up per module, verify), which encloses one event
// per kernel use: on a single thread these nest into a flame chart. Times are microseconds;
// a kernel's ts is the step's wall-clock start plus the kernel's offset in the profile.
import type { StepPhase } from '../gpu/engine.ts';
import type { StepProfile } from '../gpu/profiler.ts';

/** A profiled step as recorded: when it ran (performance.now() milliseconds) and its profile. */
export interface RecordedStep {
  atMs: number;
  profile: StepProfile;
  /** Draft depth of the step. */
  depth?: number;
  /** Committed tokens before the step. */
  position?: number;
  /** The cost curve T(M) measured right after the step, milliseconds by M. */
  costCurveMs?: Record<string, number>;
}

export interface TraceEvent {
  name: string;
  cat: string;
  /** 'X': complete event (ts + dur); 'M': metadata (process and thread names). */
  ph: 'X' | 'M';
  /** Microseconds. */
  ts: number;
  /** Microseconds (complete events only). */
  dur?: number;
  pid: number;
  tid: number;
  args: Record<string, unknown>;
}

export interface Trace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string>;
}

export const TRACE_PID = 1;
export const TRACE_TID = 1;

/** Microseconds, rounded to the nanosecond. */
const round = (micros: number) => Math.round(micros * 1000) / 1000;
const us = (ms: number) => round(ms * 1000);

const PHASE_NAMES: Record<string, string> = { verify: 'verify (main model)', prefill: 'prefill', compact: 'tree path compaction' };
const phaseName = (phase: StepPhase) => PHASE_NAMES[phase] ?? phase.replace(/^mtp(\d+)$/, 'MTP module $1 catch-up + draft');

/** The steps as one trace; `adapter` names the process. */
export function profileTrace(steps: readonly RecordedStep[], options: { adapter?: string } = {}): Trace {
  const adapter = options.adapter || 'WebGPU';
  const sources = [...new Set(steps.map((s) => s.profile.source))];
  const events: TraceEvent[] = [
    { name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: TRACE_PID, tid: TRACE_TID, args: { name: adapter } },
    {
      name: 'thread_name',
      cat: '__metadata',
      ph: 'M',
      ts: 0,
      pid: TRACE_PID,
      tid: TRACE_TID,
      args: { name: `GPU queue (${sources.join(', ') || 'no steps'})` },
    },
  ];
  steps.forEach((step, index) => {
    // Nanosecond resolution: a kernel's end is its ts + dur exactly, so the spans nest exactly.
    const ops = step.profile.ops.map((op) => {
      const ts = us(step.atMs + op.startMs);
      return { op, ts, end: Math.max(ts, us(step.atMs + op.startMs + op.ms)) };
    });
    if (ops.length === 0) return;
    const span = (run: typeof ops) => {
      const ts = Math.min(...run.map((o) => o.ts));
      return { ts, dur: round(Math.max(...run.map((o) => o.end)) - ts) };
    };
    events.push({
      name: `step ${index + 1}${step.depth === undefined ? '' : ` (depth ${step.depth})`}`,
      cat: 'step',
      ph: 'X',
      ...span(ops),
      pid: TRACE_PID,
      tid: TRACE_TID,
      args: {
        source: step.profile.source,
        totalKernelMs: step.profile.totalMs,
        ...(step.position === undefined ? {} : { position: step.position }),
        ...(step.costCurveMs ? { costCurveMs: step.costCurveMs } : {}),
      },
    });
    // Phases are contiguous runs of ops (the engine records them in order).
    for (let i = 0; i < ops.length;) {
      let j = i;
      while (j + 1 < ops.length && ops[j + 1].op.phase === ops[i].op.phase) j++;
      const run = ops.slice(i, j + 1);
      events.push({
        name: phaseName(ops[i].op.phase),
        cat: 'phase',
        ph: 'X',
        ...span(run),
        pid: TRACE_PID,
        tid: TRACE_TID,
        args: { phase: ops[i].op.phase, kernels: run.length, kernelMs: run.reduce((sum, o) => sum + o.op.ms, 0) },
      });
      i = j + 1;
    }
    for (const { op, ts, end } of ops) {
      events.push({
        name: op.label,
        cat: `kernel,${op.kernel}`,
        ph: 'X',
        ts,
        dur: round(end - ts),
        pid: TRACE_PID,
        tid: TRACE_TID,
        args: { kernel: op.kernel, phase: op.phase, rows: op.rows, ms: op.ms },
      });
    }
  });
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: { generator: 'mtp-webgpu-demo profiler', source: sources.join(', ') },
  };
}
