// The race controller's profiler hook (RaceController.profileStep): only between runs, only on
// WebGPU, serialised with runs (one thing on the device at a time), steps accumulated for the
// panel. The backend's profileStep is a fake here; the real one runs in tests/e2e/profiler.test.ts.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/app/backend.ts';
import type { ProfiledStep } from '../../src/app/profile.ts';
import { PROFILE_HISTORY } from '../../src/app/profile-log.ts';
import { RaceController } from '../../src/app/race.ts';
import { VisibleClock, type VisibilitySource } from '../../src/app/visible-clock.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { readModel } from '../../scripts/node-model.ts';
import { modelEntry } from '../../src/model/catalogue.ts';

const { name, weights, tokenizer, decoding } = readModel();
const model = new ReferenceModel(weights);
const visible: VisibilitySource = { hidden: false, addEventListener() {}, removeEventListener() {} };

function fakeStep(position: number, depth: number): ProfiledStep {
  return {
    atMs: 0,
    depth,
    position,
    accepted: 0,
    costCurveMs: { '1': 1, '2': 1, '3': 1, '4': 1 },
    dispatches: { mtp: 1, baseline: 1 },
    profile: {
      source: 'wall-clock',
      byKernel: { head: 1 },
      byPhase: { verify: 1 },
      totalMs: 1,
      ops: [{ label: 'main norm+head+argmax', kernel: 'head', phase: 'verify', rows: 1, startMs: 0, ms: 1 }],
    },
  };
}

function setup(kind: 'webgpu' | 'cpu') {
  const calls: { prompt: number[]; depth: number; during: string }[] = [];
  let release: (() => void) | undefined;
  const gate = { hold: false };
  const hooks: { onChange?: () => void } = {};
  const controller: RaceController = new RaceController({
    loadModel: async () => ({ name, weights, tokenizer, decoding }),
    createBackend: async () => {
      const backend: Backend = {
        kind,
        label: kind,
        baseline: new CpuEngine(model),
        mtp: new CpuEngine(model),
        lost: new Promise(() => {}),
        dispose() {},
      };
      if (kind === 'webgpu')
        backend.profileStep = async (prompt, depth) => {
          calls.push({ prompt: [...prompt], depth, during: controller.view().phase });
          if (gate.hold) await new Promise<void>((r) => (release = r));
          return fakeStep(prompt.length, depth);
        };
      return backend;
    },
    clock: new VisibleClock(visible, () => 0),
    onChange: () => hooks.onChange?.(),
    yieldTask: () => Promise.resolve(),
  });
  return { controller, calls, gate, hooks, release: () => release?.() };
}

describe('RaceController.profileStep', () => {
  it('is unavailable on the CPU engine, and says why', async () => {
    const { controller, calls } = setup('cpu');
    await controller.start();
    const view = controller.view().profiler;
    expect(view.available).toBe(false);
    expect(view.reason).toMatch(/WebGPU/);
    await controller.profileStep();
    expect(calls).toHaveLength(0);
    expect(controller.view().profiler.steps).toHaveLength(0);
  });

  it("before any run profiles the model's first preset at full depth; after a run, that run's prompt and depth; steps accumulate", async () => {
    const { controller, calls } = setup('webgpu');
    expect(controller.view().profiler.available).toBe(false); // not loaded yet
    await controller.start();
    expect(controller.view().profiler.available).toBe(true);
    await controller.profileStep();
    const preset = modelEntry(name)!.presets[0].text;
    expect(calls[0]).toEqual({
      prompt: [tokenizer.endOfText, ...tokenizer.encode(preset)],
      depth: weights.config.mtp_depth,
      during: 'idle',
    });
    await controller.run({ text: 'The jury said', depth: 1, maxTokens: 6 });
    await controller.profileStep();
    expect(calls[1]).toEqual({ prompt: [tokenizer.endOfText, ...tokenizer.encode('The jury said')], depth: 1, during: 'done' });
    const steps = controller.view().profiler.steps;
    expect(steps.map((s) => s.depth)).toEqual([weights.config.mtp_depth, 1]);
    expect(controller.view().profiler.busy).toBe(false);
  });

  it('is refused while a race runs, and a run asked for during a profile waits for it', async () => {
    const s = setup('webgpu');
    await s.controller.start();
    s.gate.hold = true;
    const profiling = s.controller.profileStep();
    expect(s.controller.view().profiler).toMatchObject({ busy: true, available: false });
    const run = s.controller.run({ text: 'The jury said', depth: 2, maxTokens: 6 });
    await new Promise((r) => setTimeout(r, 10));
    expect(s.controller.view().phase).toBe('idle'); // the run has not started: the profile holds the device
    s.release();
    s.gate.hold = false;
    await profiling;
    // While the run goes on, profiling is unavailable and a request does nothing.
    const whileRunning: { available: boolean; reason?: string }[] = [];
    s.hooks.onChange = () => {
      if (s.controller.view().phase !== 'running' || whileRunning.length > 0) return;
      whileRunning.push(s.controller.view().profiler);
      void s.controller.profileStep();
    };
    await run;
    expect(whileRunning).toEqual([expect.objectContaining({ available: false, reason: expect.stringMatching(/race is running/) })]);
    expect(s.controller.view().phase).toBe('done');
    expect(s.calls.map((c) => c.during)).toEqual(['idle']);
    expect(s.controller.view().profiler.steps).toHaveLength(1);
  });

  it('a failed profile shows an error and leaves the race usable', async () => {
    const s = setup('webgpu');
    await s.controller.start();
    s.controller.currentBackend!.profileStep = async () => {
      throw new Error('device hiccup');
    };
    await s.controller.profileStep();
    expect(s.controller.view().profiler.error).toBe('Profiling failed: device hiccup.');
    await s.controller.run({ text: 'The jury said', depth: 2, maxTokens: 4 });
    expect(s.controller.view().phase).toBe('done');
  });

  it(`keeps the latest ${PROFILE_HISTORY} profiled steps (a page left open for hours stays the same size)`, async () => {
    const s = setup('webgpu');
    await s.controller.start();
    for (let i = 0; i < PROFILE_HISTORY + 5; i++) await s.controller.profileStep();
    expect(s.calls).toHaveLength(PROFILE_HISTORY + 5);
    expect(s.controller.view().profiler.steps).toHaveLength(PROFILE_HISTORY);
  });

  it('restart (hot reload) rebuilds the engines, cancels a run, clears its figures and keeps the profiled steps', async () => {
    const s = setup('webgpu');
    await s.controller.start();
    await s.controller.profileStep();
    const first = s.controller.currentBackend;
    const run = s.controller.run({ text: 'The jury said', depth: 2, maxTokens: 40 });
    let restarted: Promise<void> | undefined;
    s.hooks.onChange = () => {
      if (restarted || s.controller.view().phase !== 'running' || (s.controller.view().baseline?.metrics.steps ?? 0) < 2) return;
      restarted = s.controller.restart('rebuilt');
    };
    await run;
    await restarted;
    const view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(s.controller.currentBackend).not.toBe(first);
    expect(view.baseline).toBeUndefined();
    expect(view.result).toBeUndefined();
    expect(view.runNotices).toEqual([{ level: 'info', text: 'rebuilt' }]);
    expect(view.profiler.steps).toHaveLength(1);
    await s.controller.run({ text: 'The jury said', depth: 2, maxTokens: 4 });
    expect(s.controller.view().phase).toBe('done');
  });
});
