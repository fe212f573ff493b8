// The Chrome-trace export of profiled steps (src/app/trace.ts): the Trace Event Format structure
// Perfetto reads, kernel times equal to the profile's, and spans that nest on one thread.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StepPhase } from '../../src/gpu/engine.ts';
import type { StepProfile } from '../../src/gpu/profiler.ts';
import { profileTrace, type RecordedStep, type TraceEvent } from '../../src/app/trace.ts';

type Op = StepProfile['ops'][number];

/** A profile from ops laid end to end (with gaps), as the profiler records them. */
function profileOf(
  ops: { label: string; kernel: string; phase: StepPhase; rows: number; ms: number; gap: number }[],
  source: StepProfile['source'] = 'wall-clock',
): StepProfile {
  let t = 0;
  const laid: Op[] = ops.map(({ gap, ...op }) => {
    const startMs = t + gap;
    t = startMs + op.ms;
    return { ...op, startMs };
  });
  const profile: StepProfile = { source, byKernel: {}, byPhase: {}, totalMs: 0, ops: laid };
  for (const op of laid) {
    profile.byKernel[op.kernel] = (profile.byKernel[op.kernel] ?? 0) + op.ms;
    profile.byPhase[op.phase] = (profile.byPhase[op.phase] ?? 0) + op.ms;
    profile.totalMs += op.ms;
  }
  return profile;
}

const STEP: RecordedStep = {
  atMs: 1234.5,
  depth: 2,
  position: 17,
  costCurveMs: { '1': 10, '2': 12, '3': 15, '4': 19 },
  profile: profileOf([
    { label: 'mtp1 embedding', kernel: 'embedding', phase: 'mtp1', rows: 2, ms: 0.25, gap: 0.01 },
    { label: 'mtp1 proj', kernel: 'mtp_input', phase: 'mtp1', rows: 2, ms: 1.5, gap: 0.02 },
    { label: 'mtp2 proj', kernel: 'mtp_input', phase: 'mtp2', rows: 3, ms: 1.25, gap: 0.03 },
    { label: 'main L0 attention', kernel: 'attention', phase: 'verify', rows: 3, ms: 2.125, gap: 0.04 },
    { label: 'main head', kernel: 'head', phase: 'verify', rows: 3, ms: 3.5, gap: 0.05 },
  ]),
};

const complete = (events: TraceEvent[], cat?: string) =>
  events.filter((e) => e.ph === 'X' && (cat === undefined || e.cat.split(',')[0] === cat));

function checkStructure(json: unknown): TraceEvent[] {
  expect(json).toBeTypeOf('object');
  const events = (json as { traceEvents: unknown }).traceEvents;
  expect(Array.isArray(events)).toBe(true);
  for (const e of events as TraceEvent[]) {
    expect(typeof e.name).toBe('string');
    expect(typeof e.cat).toBe('string');
    expect(['X', 'M']).toContain(e.ph);
    expect(Number.isFinite(e.ts)).toBe(true);
    expect(Number.isInteger(e.pid)).toBe(true);
    expect(Number.isInteger(e.tid)).toBe(true);
    expect(typeof e.args).toBe('object');
    if (e.ph === 'X') {
      expect(Number.isFinite(e.dur)).toBe(true);
      expect(e.dur).toBeGreaterThanOrEqual(0);
    }
  }
  return events as TraceEvent[];
}

/** Every kernel lies inside one phase span and one step span (ns resolution). */
function checkNesting(events: TraceEvent[]): void {
  const inside = (inner: TraceEvent, outer: TraceEvent) =>
    inner.ts >= outer.ts - 1e-6 && inner.ts + inner.dur! <= outer.ts + outer.dur! + 1e-6;
  for (const k of complete(events, 'kernel')) {
    expect(complete(events, 'phase').filter((p) => p.args.phase === k.args.phase && inside(k, p))).toHaveLength(1);
    expect(complete(events, 'step').filter((s) => inside(k, s))).toHaveLength(1);
  }
}

describe('profileTrace', () => {
  it('writes Trace Event Format JSON: metadata, one step, its phases and every kernel', () => {
    const trace = profileTrace([STEP], { adapter: 'SwiftShader' });
    const events = checkStructure(JSON.parse(JSON.stringify(trace)));
    expect(trace.displayTimeUnit).toBe('ms');
    expect(events.find((e) => e.ph === 'M' && e.name === 'process_name')?.args.name).toBe('SwiftShader');
    expect(events.find((e) => e.ph === 'M' && e.name === 'thread_name')?.args.name).toContain('wall-clock');
    expect(complete(events, 'step')).toHaveLength(1);
    expect(complete(events, 'step')[0].args).toMatchObject({ position: 17, costCurveMs: STEP.costCurveMs, source: 'wall-clock' });
    expect(complete(events, 'phase').map((e) => e.args.phase)).toEqual(['mtp1', 'mtp2', 'verify']);
    expect(complete(events, 'kernel').map((e) => e.name)).toEqual(STEP.profile.ops.map((o) => o.label));
    checkNesting(events);
  });

  it("kernel timestamps and durations are the profile's, in microseconds", () => {
    const kernels = complete(profileTrace([STEP]).traceEvents, 'kernel');
    STEP.profile.ops.forEach((op, i) => {
      expect(kernels[i].ts).toBeCloseTo((STEP.atMs + op.startMs) * 1000, 3);
      expect(kernels[i].dur).toBeCloseTo(op.ms * 1000, 3);
      expect(kernels[i].args).toMatchObject({ kernel: op.kernel, phase: op.phase, rows: op.rows });
      expect(kernels[i].cat).toBe(`kernel,${op.kernel}`);
    });
    const phases = complete(profileTrace([STEP]).traceEvents, 'phase');
    // The verify phase spans from its first kernel's start to its last kernel's end.
    const verify = STEP.profile.ops.filter((o) => o.phase === 'verify');
    expect(phases[2].ts).toBeCloseTo((STEP.atMs + verify[0].startMs) * 1000, 3);
    expect(phases[2].dur).toBeCloseTo((verify[1].startMs + verify[1].ms - verify[0].startMs) * 1000, 3);
    expect(phases[2].args.kernelMs).toBeCloseTo(STEP.profile.byPhase.verify!, 9);
  });

  it('places several steps at their own times; no steps gives metadata only', () => {
    const second: RecordedStep = { ...STEP, atMs: 5000, profile: { ...STEP.profile, source: 'gpu-timestamps' } };
    const events = profileTrace([STEP, second]).traceEvents;
    const steps = complete(events, 'step');
    expect(steps.map((s) => s.name)).toEqual(['step 1 (depth 2)', 'step 2 (depth 2)']);
    expect(steps[1].ts).toBeCloseTo((5000 + STEP.profile.ops[0].startMs) * 1000, 3);
    expect(events.find((e) => e.name === 'thread_name')?.args.name).toContain('wall-clock, gpu-timestamps');
    checkNesting(events);
    expect(profileTrace([]).traceEvents.every((e) => e.ph === 'M')).toBe(true);
  });

  it('property: any profile maps kernel for kernel, with matching times and proper nesting', () => {
    const phase = fc.constantFrom<StepPhase>('mtp1', 'mtp2', 'verify');
    const op = fc.record({
      label: fc.string({ minLength: 1, maxLength: 12 }),
      kernel: fc.constantFrom('qkv', 'attention', 'wo_ffn', 'head'),
      phase,
      rows: fc.integer({ min: 1, max: 256 }),
      ms: fc.double({ min: 0, max: 50, noNaN: true }),
      gap: fc.double({ min: 0, max: 5, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), fc.double({ min: 0, max: 1e7, noNaN: true }), (ops, atMs) => {
        // Phases come in runs, as the engine records them.
        const order = { mtp1: 0, mtp2: 1, verify: 2, prefill: 3 } as Record<string, number>;
        const sorted = [...ops].sort((a, b) => order[a.phase] - order[b.phase]);
        const step: RecordedStep = { atMs, profile: profileOf(sorted) };
        const events = checkStructure(JSON.parse(JSON.stringify(profileTrace([step]))));
        const kernels = complete(events, 'kernel');
        expect(kernels).toHaveLength(sorted.length);
        step.profile.ops.forEach((o, i) => {
          expect(Math.abs(kernels[i].ts - (atMs + o.startMs) * 1000)).toBeLessThan(2e-3);
          expect(Math.abs(kernels[i].dur! - o.ms * 1000)).toBeLessThan(2e-3);
        });
        checkNesting(events);
      }),
      { numRuns: 200 },
    );
  });
});
