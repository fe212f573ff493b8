// Autoplay (src/app/autoplay.ts): on a fake controller with fake timers (the cycle, the hold, the
// retries and their back-off, a visitor's run, a stall, dispose, cycling models), then on the real
// RaceController with the CPU reference engine, through a lost device, with no click, and cycling
// two real models.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Autoplay, type AutoplayTarget } from '../../src/app/autoplay.ts';
import { cpuBackend, type Backend } from '../../src/app/backend.ts';
import { RaceController } from '../../src/app/race.ts';
import type { RacePhase, RunRequest } from '../../src/app/race-types.ts';
import { VisibleClock, type VisibilitySource } from '../../src/app/visible-clock.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { type DecodeEngine, type StepResult } from '../../src/model/decode-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { readModel } from '../../scripts/node-model.ts';

class FakeTarget implements AutoplayTarget {
  currentPhase: RacePhase = 'loading';
  mtpDepth: number | undefined = 2;
  modelName: string | undefined = undefined;
  runs: RunRequest[] = [];
  starts = 0;
  selects: string[] = [];
  autoplay?: Autoplay;
  /** What a run does to the phase when called (default: it starts running). */
  onRun: (request: RunRequest) => void = () => this.set('running');
  /** Whether a switch to this model loads (after 100 ms) or fails. */
  loads: (name: string) => boolean = () => true;
  selectModel(name: string): Promise<void> {
    this.selects.push(name);
    this.modelName = undefined;
    this.set('loading');
    setTimeout(() => {
      if (this.loads(name)) this.modelName = name;
      this.set(this.loads(name) ? 'idle' : 'error');
    }, 100);
    return Promise.resolve();
  }
  run(request: RunRequest): Promise<void> {
    this.runs.push(request);
    this.onRun(request);
    return Promise.resolve();
  }
  start(): Promise<void> {
    this.starts++;
    this.set('loading');
    return Promise.resolve();
  }
  set(phase: RacePhase): void {
    this.currentPhase = phase;
    this.autoplay?.update();
  }
}

function setup(options: Partial<ConstructorParameters<typeof Autoplay>[1]> = {}) {
  const target = new FakeTarget();
  const autoplay = new Autoplay(target, { prompts: ['one', 'two', 'three'], maxTokens: 12, holdMs: 3000, ...options });
  target.autoplay = autoplay;
  return { target, autoplay };
}

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

describe('autoplay cycling models, fake controller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs the cycle: each run finishes at once and is held; returns the prompts run. */
  async function cycle(target: FakeTarget, runs: number): Promise<string[]> {
    target.onRun = () => {
      target.set('running');
      target.set('done');
    };
    for (let i = 0; i < 1000 && target.runs.length < runs; i++) await vi.advanceTimersByTimeAsync(100);
    return target.runs.map((r) => r.text);
  }

  it("runs model A's prompts, then B's, then A's again, switching by selectModel before each model's first", async () => {
    const { target, autoplay } = setup({
      models: [
        { model: 'a', prompts: ['a1', 'a2'] },
        { model: 'b', prompts: ['b1'] },
      ],
    });
    target.modelName = 'a';
    target.set('idle');
    expect(await cycle(target, 6)).toEqual(['a1', 'a2', 'b1', 'a1', 'a2', 'b1']);
    expect(target.selects).toEqual(['b', 'a', 'b']);
    // Each run went to the model loaded then.
    expect(target.runs.map((r) => r.depth)).toEqual([2, 2, 2, 2, 2, 2]);
    autoplay.dispose();
  });

  it('a switch that fails is retried with the next model; the failed one comes round again a lap later', async () => {
    const { target, autoplay } = setup({ retryMs: 100, models: ['a', 'b', 'c'].map((m) => ({ model: m, prompts: [`${m}1`] })) });
    target.loads = (name) => name !== 'b';
    target.modelName = 'a';
    target.set('idle');
    expect(await cycle(target, 4)).toEqual(['a1', 'c1', 'a1', 'c1']);
    expect(target.selects).toEqual(['b', 'c', 'a', 'b', 'c']);
    autoplay.dispose();
  });

  it('a model a visitor picked, if in the cycle, is carried on with from its first prompt', async () => {
    const { target, autoplay } = setup({
      models: [
        { model: 'a', prompts: ['a1', 'a2'] },
        { model: 'b', prompts: ['b1', 'b2'] },
      ],
    });
    target.modelName = 'a';
    target.set('idle');
    await vi.advanceTimersByTimeAsync(0);
    target.set('done');
    await vi.advanceTimersByTimeAsync(1000);
    void target.selectModel('b'); // the visitor, during the hold
    expect(await cycle(target, 4)).toEqual(['a1', 'b1', 'b2', 'a1']);
    expect(target.selects).toEqual(['b', 'a']);
    autoplay.dispose();
  });

  it('a model a visitor picked from outside the cycle runs its own prompts once, then the cycle goes on', async () => {
    const { target, autoplay } = setup({
      models: [
        { model: 'a', prompts: ['a1', 'a2'] },
        { model: 'b', prompts: ['b1'] },
      ],
      promptsOf: (name) => (name === 'z' ? ['z1', 'z2'] : []),
    });
    target.modelName = 'a';
    target.set('idle');
    await vi.advanceTimersByTimeAsync(0);
    target.set('done');
    await vi.advanceTimersByTimeAsync(1000);
    void target.selectModel('z'); // the visitor, during the hold, picks a model autoplay does not cycle
    expect(await cycle(target, 6)).toEqual(['a1', 'z1', 'z2', 'a2', 'b1', 'a1']);
    expect(target.selects).toEqual(['z', 'a', 'b', 'a']);
    autoplay.dispose();
  });

  it('a first model that never loads (a stalled download) hands its turn to the next model', async () => {
    const { target, autoplay } = setup({ retryMs: 100, models: ['a', 'b'].map((m) => ({ model: m, prompts: [`${m}1`] })) });
    target.loads = (name) => name !== 'a';
    target.modelName = undefined;
    target.mtpDepth = undefined;
    target.set('error'); // the page's own start() of model a failed
    for (let i = 0; i < 20 && target.selects.length === 0; i++) await vi.advanceTimersByTimeAsync(50);
    expect(target.selects).toEqual(['b']);
    expect(target.starts).toBe(0);
    autoplay.dispose();
  });

  it('a cycle of one model never switches', async () => {
    const { target, autoplay } = setup({ models: [{ model: 'a', prompts: ['x', 'y'] }] });
    target.modelName = 'a';
    target.set('idle');
    expect(await cycle(target, 4)).toEqual(['x', 'y', 'x', 'y']);
    expect(target.selects).toEqual([]);
    autoplay.dispose();
  });
});

describe('autoplay, real race controller (CPU reference engine)', () => {
  const { name, weights, tokenizer, decoding } = readModel();
  const model = new ReferenceModel(weights);

  /** A CPU engine that fails its steps once its "device" is lost. */
  class LosableEngine implements DecodeEngine {
    private readonly inner = new CpuEngine(model);
    readonly name = 'losable';
    constructor(private readonly device: { lost: boolean }) {}
    get config() {
      return this.inner.config;
    }
    get length() {
      return this.inner.length;
    }
    prefill(prompt: readonly number[], depth: number): Promise<number> {
      return this.inner.prefill(prompt, depth);
    }
    async step(depth: number): Promise<StepResult> {
      await new Promise((r) => setTimeout(r, 0));
      if (this.device.lost) throw new Error('the device was lost');
      return this.inner.step(depth);
    }
    commit(tokens: readonly number[]): void {
      this.inner.commit(tokens);
    }
    mainLogits(row: number): Promise<Float32Array> {
      return this.inner.mainLogits(row);
    }
  }

  it('cycles the prompts, and after a device lost mid-run rebuilds the engines and goes on with no click', async () => {
    const visibility: VisibilitySource = { hidden: false, addEventListener() {}, removeEventListener() {} };
    const devices: { lost: boolean; lose: (why: string) => void; disposed: boolean }[] = [];
    let autoplay: Autoplay | undefined;
    const done: string[] = [];
    const controller = new RaceController({
      loadModel: async () => ({ name, weights, tokenizer, decoding }),
      createBackend: async () => {
        let lose!: (why: string) => void;
        const lost = new Promise<string>((resolve) => (lose = resolve));
        const device = { lost: false, lose: (why: string) => ((device.lost = true), lose(why)), disposed: false };
        devices.push(device);
        const backend: Backend = {
          kind: 'webgpu',
          label: `fake device ${devices.length}`,
          baseline: new LosableEngine(device),
          mtp: new LosableEngine(device),
          lost,
          dispose: () => (device.disposed = true),
        };
        return backend;
      },
      clock: new VisibleClock(visibility),
      onChange: () => {
        autoplay?.update();
        const v = controller.view();
        if (v.phase === 'done' && v.result && done.at(-1) !== `${devices.length}:${v.result.prompt.text}`)
          done.push(`${devices.length}:${v.result.prompt.text}`);
      },
    });
    const prompts = ['The jury said', 'In the years after the war', 'She stood at the window'];
    autoplay = new Autoplay(controller, { prompts, maxTokens: 6, holdMs: 5, retryMs: 5 });
    await controller.start();

    const until = async (check: () => boolean, what: string) => {
      for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
      if (!check()) throw new Error(`timed out waiting for ${what}`);
    };
    await until(() => done.length >= 2, 'two runs');
    expect(done.slice(0, 2)).toEqual([`1:${prompts[0]}`, `1:${prompts[1]}`]);

    // Lose the device in the middle of the next run.
    await until(() => controller.currentPhase === 'running' && (controller.view().baseline?.metrics.steps ?? 0) > 0, 'a run under way');
    const running = controller.view().prompt?.text;
    devices[0].lose('The GPU device was lost (test).');
    await until(() => controller.currentPhase === 'error', 'the failed run');
    expect(
      controller
        .view()
        .deviceNotices.map((n) => n.text)
        .join(' '),
    ).toContain('was lost');
    await until(() => done.some((d) => d.startsWith('2:')), 'a run on a new device');
    expect(devices).toHaveLength(2);
    expect(devices[0].disposed).toBe(true);
    expect(controller.view().deviceNotices).toEqual([]);
    // The run after the failed one took the next prompt.
    const failedIndex = prompts.indexOf(running!);
    expect(done.find((d) => d.startsWith('2:'))).toBe(`2:${prompts[(failedIndex + 1) % prompts.length]}`);
    autoplay.dispose();
  });

  it('cycles two real models, each at its own depth D, with one set of engines alive at a time', async () => {
    const visibility: VisibilitySource = { hidden: false, addEventListener() {}, removeEventListener() {} };
    const backends: { model: string; disposed: boolean }[] = [];
    const done: { model: string; prompt: string; depth: number; live: number; same: boolean }[] = [];
    let autoplay: Autoplay | undefined;
    const controller: RaceController = new RaceController({
      model: 'brown-mtp',
      loadModel: async (name) => {
        const m = readModel(name);
        return { name: m.name, weights: m.weights, tokenizer: m.tokenizer, decoding: m.decoding };
      },
      createBackend: async (w) => {
        const record = { model: controller.modelName!, disposed: false };
        backends.push(record);
        const backend = cpuBackend(w);
        return { ...backend, dispose: () => ((record.disposed = true), backend.dispose()) };
      },
      clock: new VisibleClock(visibility),
      onChange: () => {
        autoplay?.update();
        const v = controller.view();
        if (v.phase === 'done' && v.result && v.model && done.at(-1)?.prompt !== v.result.prompt.text)
          done.push({
            model: v.model.name,
            prompt: v.result.prompt.text,
            depth: v.result.depth,
            live: backends.filter((b) => !b.disposed).length,
            same: v.result.mtp.text === v.result.baseline.text,
          });
      },
    });
    const models = [
      { model: 'brown-mtp', prompts: ['The jury said'] },
      { model: 'python-mtp', prompts: ['def main(argv):\n', 'import os\n'] },
    ];
    autoplay = new Autoplay(controller, { models, maxTokens: 4, holdMs: 5, retryMs: 5 });
    await controller.start();
    for (let i = 0; i < 4000 && done.length < 4; i++) await new Promise((r) => setTimeout(r, 5));
    autoplay.dispose();
    expect(done.slice(0, 4).map((d) => `${d.model}: ${d.prompt}`)).toEqual([
      'brown-mtp: The jury said',
      'python-mtp: def main(argv):\n',
      'python-mtp: import os\n',
      'brown-mtp: The jury said',
    ]);
    const depthOf = (name: string) => readModel(name).weights.config.mtp_depth;
    expect(done.slice(0, 4).map((d) => d.depth)).toEqual(['brown-mtp', 'python-mtp', 'python-mtp', 'brown-mtp'].map(depthOf));
    expect(done.every((d) => d.live === 1 && d.same)).toBe(true);
    expect(backends.slice(0, 3).map((b) => b.model)).toEqual(['brown-mtp', 'python-mtp', 'brown-mtp']);
    await controller.restart(); // stops what the cycle had under way, and waits for it
  });
});
