// Autoplay (src/app/autoplay.ts) on a fake controller with fake timers: the cycle, the hold, the
// retries and their back-off, a visitor's run, a stall, dispose. Cycling models is
// tests/unit/autoplay-models.test.ts; autoplay on the real RaceController, tests/unit/autoplay-race.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setup } from '../helpers/autoplay-target.ts';

describe('autoplay, fake controller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the first prompt once ready, holds each result, then runs the next, forever', async () => {
    const { target, autoplay } = setup();
    target.set('loading');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(target.runs).toEqual([]);
    target.set('idle');
    await vi.advanceTimersByTimeAsync(0);
    expect(target.runs).toEqual([{ text: 'one', depth: 2, maxTokens: 12 }]);
    for (const [i, text] of ['two', 'three', 'one', 'two'].entries()) {
      target.set('done');
      await vi.advanceTimersByTimeAsync(2999);
      expect(target.runs).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(target.runs.at(-1)?.text).toBe(text);
    }
    autoplay.dispose();
  });

  it('uses the given depth, else the model depth', async () => {
    const { target, autoplay } = setup({ depth: 1 });
    target.set('idle');
    await vi.advanceTimersByTimeAsync(0);
    expect(target.runs[0].depth).toBe(1);
    autoplay.dispose();
  });

  it("a visitor's run during the hold cancels it; autoplay carries on after that run", async () => {
    const { target, autoplay } = setup();
    target.set('idle');
    await vi.advanceTimersByTimeAsync(0);
    target.set('done');
    await vi.advanceTimersByTimeAsync(1000);
    target.set('running'); // the visitor pressed Run
    await vi.advanceTimersByTimeAsync(10_000);
    expect(target.runs).toHaveLength(1);
    target.set('done');
    await vi.advanceTimersByTimeAsync(3000);
    expect(target.runs.map((r) => r.text)).toEqual(['one', 'two']);
    autoplay.dispose();
  });

  it('after a failed run: shows the error, retries with the next prompt, backing off while it keeps failing', async () => {
    const { target, autoplay } = setup({ retryMs: 100, maxRetryMs: 350 });
    target.set('idle');
    await vi.advanceTimersByTimeAsync(0);
    const times: number[] = [];
    target.onRun = () => {
      times.push(Date.now());
      target.set('running');
      target.set('error');
    };
    const t0 = Date.now();
    target.set('error');
    await vi.advanceTimersByTimeAsync(2000);
    // Waits of 100, 200, 350 (capped), 350, ...
    expect(times.slice(0, 5).map((t, i) => t - (i ? times[i - 1] : t0))).toEqual([100, 200, 350, 350, 350]);
    // A run that completes resets the back-off.
    target.onRun = () => target.set('running');
    await vi.advanceTimersByTimeAsync(350);
    target.set('done');
    await vi.advanceTimersByTimeAsync(3000);
    target.onRun = () => {
      target.set('running');
      target.set('error');
    };
    const before = target.runs.length;
    await vi.advanceTimersByTimeAsync(0);
    target.set('error');
    await vi.advanceTimersByTimeAsync(100);
    expect(target.runs.length).toBeGreaterThan(before);
    autoplay.dispose();
  });

  it('a run that fails without leaving the error phase does not stop the cycle', async () => {
    const { target, autoplay } = setup({ retryMs: 100 });
    target.onRun = () => {}; // stays in 'error'
    target.set('error');
    await vi.advanceTimersByTimeAsync(100);
    expect(target.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(target.runs).toHaveLength(2);
    autoplay.dispose();
  });

  it('when the model never loaded, starts the controller again instead of running', async () => {
    const { target, autoplay } = setup({ retryMs: 100 });
    target.mtpDepth = undefined;
    target.set('error');
    await vi.advanceTimersByTimeAsync(100);
    expect(target.starts).toBe(1);
    expect(target.runs).toEqual([]);
    expect(target.currentPhase).toBe('loading');
    autoplay.dispose();
  });

  it('calls onStall when a run makes no progress for stallMs of visible time, not while hidden', async () => {
    let hidden = false;
    const stalls: number[] = [];
    const { target, autoplay } = setup({ stallMs: 1000, hidden: () => hidden, onStall: () => stalls.push(Date.now()) });
    target.set('idle');
    await vi.advanceTimersByTimeAsync(0);
    expect(target.currentPhase).toBe('running');
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(500);
      autoplay.update(); // progress
    }
    expect(stalls).toEqual([]);
    hidden = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(stalls).toEqual([]);
    hidden = false;
    await vi.advanceTimersByTimeAsync(1600);
    expect(stalls).toHaveLength(1);
    target.set('done');
    await vi.advanceTimersByTimeAsync(2000); // holding is not a stall
    expect(stalls).toHaveLength(1);
    autoplay.dispose();
  });

  it('does nothing after dispose', async () => {
    const { target, autoplay } = setup();
    target.set('idle');
    autoplay.dispose();
    await vi.advanceTimersByTimeAsync(10_000);
    target.set('done');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(target.runs).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
