// Autoplay (src/app/autoplay.ts) on the real RaceController with the CPU reference engine: through a
// lost device, with no click, and cycling two real models.
import { describe, expect, it } from 'vitest';
import { Autoplay } from '../../src/app/autoplay.ts';
import { cpuBackend, type Backend } from '../../src/app/backend.ts';
import { RaceController } from '../../src/app/race.ts';
import { VisibleClock, type VisibilitySource } from '../../src/app/visible-clock.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { type DecodeEngine, type StepResult } from '../../src/model/decode-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { readModel } from '../../scripts/node-model.ts';

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
