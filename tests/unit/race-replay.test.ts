// The race controller's slow-motion replay (src/app/race.ts with src/app/replay.ts) on the CPU
// reference engine and the real clock: the race computes at full speed, what the view shows waits
// for its measured times x the factor, 'done' comes once the replay has caught up, and a new run or
// another model chosen mid-replay ends the replay as it ends a run.
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../src/app/backend.ts';
import { RaceController } from '../../src/app/race.ts';
import type { Pace, RaceView } from '../../src/app/race-types.ts';
import { VisibleClock } from '../../src/app/visible-clock.ts';
import { readModel } from '../../scripts/node-model.ts';

const models = { 'brown-mtp': readModel('brown-mtp'), 'kjv-mtp': readModel('kjv-mtp') };
const visible = { hidden: false, addEventListener() {}, removeEventListener() {} };

/** A controller on the CPU engine whose every view is kept, as the page would have drawn it. */
async function setup() {
  const views: RaceView[] = [];
  const controller: RaceController = new RaceController({
    model: 'brown-mtp',
    loadModel: async (name) => models[name as keyof typeof models],
    createBackend: async (w) => cpuBackend(w),
    clock: new VisibleClock(visible),
    onChange: () => views.push(controller.view()),
  });
  await controller.start();
  return { controller, views };
}

const request = (text: string, pace: Pace, maxTokens = 8) => ({ text, depth: 2, maxTokens, pace });

/** Resolves once `test` holds of the controller's view (polled: the replay moves with the clock). */
async function until(controller: RaceController, test: (v: RaceView) => boolean, timeoutMs = 30_000): Promise<RaceView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = controller.view();
    if (test(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out in phase ${v.phase}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('RaceController in slow motion', () => {
  it('ends when the shown race has caught up, at about its measured time x the factor', async () => {
    const { controller, views } = await setup();
    const factor = 20;
    const t0 = performance.now();
    await controller.run(request('The committee said', { kind: 'fixed', factor }));
    const elapsed = performance.now() - t0;
    const v = controller.view();
    expect(v.phase).toBe('done');
    const measured = Math.max(v.result!.baseline.metrics.decodeMs, v.result!.mtp.metrics.decodeMs);
    // The replay ends once the slower side's last step is due: its decode time x the factor after the
    // race started (the prefills come first, so a little more), never before.
    expect(elapsed).toBeGreaterThanOrEqual(measured * factor);
    // The views shown while running never ran ahead of the clock: each side's decode time x the factor
    // is within the time elapsed; the pace is said with the factor.
    const running = views.filter((x) => x.phase === 'running' && x.baseline);
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((x) => x.pace?.factor === factor)).toBe(true);
    expect(running.some((x) => x.pace?.replaying)).toBe(true);
    // What is shown at 'done' is the whole measured race, and nothing shown before it was ahead of it.
    expect(v.baseline!.metrics.tokens).toBe(v.result!.baseline.metrics.tokens);
    expect(v.mtp!.metrics.tokens).toBe(v.result!.mtp.metrics.tokens);
    expect(running.every((x) => x.mtp!.metrics.tokens <= v.result!.mtp.metrics.tokens)).toBe(true);
  });

  it('shows the race as it is computed when live', async () => {
    const { controller } = await setup();
    await controller.run(request('The committee said', { kind: 'live' }));
    const v = controller.view();
    expect(v.pace).toMatchObject({ kind: 'live', factor: 1 });
    expect(v.baseline!.metrics.tokens).toBe(v.result!.baseline.metrics.tokens);
  });

  it('a new run mid-replay ends the replay: the old run never shows a result', async () => {
    const { controller, views } = await setup();
    const slow = controller.run(request('The old run', { kind: 'fixed', factor: 500 }, 16));
    // The race has been computed; its replay goes on.
    await until(controller, (v) => v.pace?.replaying === true);
    await controller.run(request('The new run', { kind: 'live' }));
    await slow;
    expect(controller.view().phase).toBe('done');
    expect(controller.view().result!.prompt.text).toBe('The new run');
    expect(views.some((x) => x.result?.prompt.text === 'The old run')).toBe(false);
  });

  it('another model chosen mid-replay ends it and loads the model', async () => {
    const { controller, views } = await setup();
    const slow = controller.run(request('The old run', { kind: 'fixed', factor: 500 }, 16));
    await until(controller, (v) => v.pace?.replaying === true);
    await controller.selectModel('kjv-mtp');
    await slow;
    const v = controller.view();
    expect(v.phase).toBe('idle');
    expect(v.model?.name).toBe('kjv-mtp');
    expect(v.baseline).toBeUndefined();
    expect(views.some((x) => x.result !== undefined)).toBe(false);
  });
});
