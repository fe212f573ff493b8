// Autoplay (src/app/autoplay.ts) cycling models on a fake controller with fake timers: each model's
// prompts in turn, a switch that fails, a model a visitor picks (in the cycle or outside it), a first
// model that never loads, a cycle of one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setup, type FakeTarget } from '../helpers/autoplay-target.ts';

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
