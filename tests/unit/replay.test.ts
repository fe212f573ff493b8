// The slow-motion replay clock (src/app/replay.ts): one factor for both sides, each side's views in
// their recorded order, nothing shown before its measured time x the factor, Auto's choice, and the
// pace as the address and the controls write it.
import { describe, expect, it } from 'vitest';
import { parseKioskQuery } from '../../src/app/kiosk.ts';
import type { SideId, SideView } from '../../src/app/race-types.ts';
import {
  AUTO_PROBE_STEPS,
  AUTO_SLOW_BELOW_MS,
  AUTO_TARGET_MS,
  autoFactor,
  MAX_FACTOR,
  paceText,
  parsePace,
  Replay,
} from '../../src/app/replay.ts';
import { RunMetrics } from '../../src/decode/metrics.ts';

/** A side's view after `steps` steps of one token each, `decodeMs` of measured decode time in all. */
function sideView(id: SideId, steps: number, decodeMs: number, stop?: SideView['stop']): SideView {
  const metrics = new RunMetrics(id === 'mtp' ? 2 : 0);
  for (let i = 0; i < steps; i++) metrics.add({ tokens: [1], drafts: [], accepted: 0, proposed: 0, ms: decodeMs / steps, rows: 1 });
  return { id, depth: 0, engine: 'test', segments: [], text: 'x'.repeat(steps), metrics: metrics.snapshot(), stop };
}

/** A clock the test moves by hand. */
function fakeClock() {
  const clock = { t: 1000, now: () => clock.t };
  return clock;
}

describe('Replay', () => {
  it('shows both sides at their measured times times one factor', () => {
    const clock = fakeClock();
    const replay = new Replay({ kind: 'fixed', factor: 10 }, clock.now, 64);
    replay.record('baseline', 0, sideView('baseline', 0, 0));
    replay.record('mtp', 0, sideView('mtp', 0, 0));
    replay.record('baseline', 20, sideView('baseline', 1, 20));
    replay.record('mtp', 30, sideView('mtp', 1, 30));
    replay.record('baseline', 40, sideView('baseline', 2, 40));
    replay.finish();
    const steps = () => {
      const f = replay.frame();
      return [f.baseline?.metrics.steps, f.mtp?.metrics.steps];
    };
    expect(steps()).toEqual([0, 0]);
    clock.t += 199;
    expect(steps()).toEqual([0, 0]);
    clock.t += 1; // 200 ms = 20 ms x 10: the baseline's first step is due, MTP's (30 ms) is not
    expect(steps()).toEqual([1, 0]);
    expect(replay.nextDueInMs()).toBeCloseTo(100);
    clock.t += 100;
    expect(steps()).toEqual([1, 1]);
    expect(replay.caughtUp).toBe(false);
    clock.t += 100;
    expect(steps()).toEqual([2, 1]);
    expect(replay.caughtUp).toBe(true);
  });

  it('never shows a view before its time, and each side moves only forward, in the order recorded', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const clock = fakeClock();
    const factor = 7;
    const replay = new Replay({ kind: 'fixed', factor }, clock.now, 64);
    const times: Record<SideId, number[]> = { baseline: [0], mtp: [0] };
    for (const id of ['baseline', 'mtp'] as const) {
      replay.record(id, 0, sideView(id, 0, 0));
      for (let s = 1; s <= 40; s++) {
        const at = times[id][s - 1] + 1 + 30 * random();
        times[id].push(at);
        replay.record(id, at, sideView(id, s, at));
      }
    }
    replay.finish();
    const start = clock.t;
    const last: Record<SideId, number> = { baseline: 0, mtp: 0 };
    while (!replay.caughtUp) {
      clock.t += 13 * random();
      const frame = replay.frame();
      for (const id of ['baseline', 'mtp'] as const) {
        const steps = frame[id]!.metrics.steps;
        expect(steps).toBeGreaterThanOrEqual(last[id]);
        // Shown: the latest step whose measured time x factor has passed, no earlier and no later one.
        expect(times[id][steps] * factor).toBeLessThanOrEqual(clock.t - start + 1e-9);
        if (steps < 40) expect(times[id][steps + 1] * factor).toBeGreaterThan(clock.t - start);
        last[id] = steps;
      }
    }
    expect(last).toEqual({ baseline: 40, mtp: 40 });
  });

  it('live: a factor of 1 from the start', () => {
    expect(new Replay({ kind: 'live' }, fakeClock().now, 64).factor).toBe(1);
  });

  it("auto: shows only the prefill until the baseline's first steps are measured, then picks one factor", () => {
    const clock = fakeClock();
    const replay = new Replay({ kind: 'auto' }, clock.now, 100);
    replay.record('baseline', 0, sideView('baseline', 0, 0));
    replay.record('mtp', 0, sideView('mtp', 0, 0));
    for (let s = 1; s < AUTO_PROBE_STEPS; s++) replay.record('baseline', 10 * s, sideView('baseline', s, 10 * s));
    replay.record('mtp', 10, sideView('mtp', 1, 10));
    clock.t += 5000;
    expect(replay.factor).toBeUndefined();
    expect([replay.frame().baseline?.metrics.steps, replay.frame().mtp?.metrics.steps]).toEqual([0, 0]);
    // 10 ms a token x 100 tokens = 1 s projected: slowed to about AUTO_TARGET_MS.
    replay.record('baseline', 10 * AUTO_PROBE_STEPS, sideView('baseline', AUTO_PROBE_STEPS, 10 * AUTO_PROBE_STEPS));
    expect(replay.factor).toBe(Math.ceil(AUTO_TARGET_MS / 1000));
  });

  it('auto: a race slow enough to watch stays live; the factor never exceeds its cap', () => {
    expect(autoFactor(AUTO_SLOW_BELOW_MS)).toBe(1);
    expect(autoFactor(AUTO_SLOW_BELOW_MS - 1)).toBeGreaterThan(1);
    expect(autoFactor(1000)).toBe(9);
    expect(autoFactor(0.001)).toBe(MAX_FACTOR);
    expect(autoFactor(0)).toBe(MAX_FACTOR);
  });

  it('auto: a baseline that stops before the probe decides on what it measured', () => {
    const clock = fakeClock();
    const replay = new Replay({ kind: 'auto' }, clock.now, 100);
    replay.record('baseline', 0, sideView('baseline', 0, 0));
    replay.record('baseline', 30, sideView('baseline', 1, 30, 'end-of-text'));
    expect(replay.factor).toBe(autoFactor(30));
  });

  it('refuses a time that goes back on one side, and a factor out of range', () => {
    const replay = new Replay({ kind: 'fixed', factor: 2 }, fakeClock().now, 64);
    replay.record('mtp', 10, sideView('mtp', 1, 10));
    expect(() => replay.record('mtp', 5, sideView('mtp', 2, 5))).toThrow(/mtp: recorded at 5 ms after 10 ms/);
    expect(() => new Replay({ kind: 'fixed', factor: 0.5 }, fakeClock().now, 64)).toThrow(RangeError);
    expect(() => new Replay({ kind: 'fixed', factor: MAX_FACTOR + 1 }, fakeClock().now, 64)).toThrow(RangeError);
  });
});

describe('pace', () => {
  it('reads auto, live and factors, and writes them back', () => {
    expect(parsePace('auto')).toEqual({ kind: 'auto' });
    expect(parsePace(' LIVE ')).toEqual({ kind: 'live' });
    expect(parsePace('1')).toEqual({ kind: 'live' });
    expect(parsePace('12.5')).toEqual({ kind: 'fixed', factor: 12.5 });
    for (const bad of ['', 'fast', '0.5', '0', '-3', String(MAX_FACTOR + 1), 'Infinity']) expect(parsePace(bad), bad).toBeUndefined();
    for (const text of ['auto', 'live', '10']) expect(paceText(parsePace(text)!)).toBe(text);
  });

  it("is the kiosk's pace= option, a bad value ignored with a warning", () => {
    expect(parseKioskQuery('?pace=20').pace).toEqual({ kind: 'fixed', factor: 20 });
    expect(parseKioskQuery('?autoplay').pace).toBeUndefined();
    const warnings: string[] = [];
    expect(parseKioskQuery('?pace=warp', (w) => warnings.push(w)).pace).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^kiosk: ignoring pace="warp"/)]);
  });
});
