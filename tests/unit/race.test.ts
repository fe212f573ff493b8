// The race controller (src/app/race.ts) on the CPU reference engine with a fake clock: fair
// scheduling, one step at a time, cancelling, the prompt's edge cases, a hidden page, a lost device,
// and the CPU fallback's notices. Switching models is tests/unit/race-select-model.test.ts; the
// prompt's budget (preparePrompt) is tests/unit/prompt.test.ts.
import { describe, expect, it } from 'vitest';
import { cpuBackend, type Backend } from '../../src/app/backend.ts';
import { promptBudget } from '../../src/decode/prompt.ts';
import { RaceController } from '../../src/app/race.ts';
import type { RacePhase } from '../../src/app/race-types.ts';
import { runTemperature } from '../../src/decode/run-options.ts';
import { MAX_TEMPERATURE } from '../../src/decode/run-options.ts';
import { VisibleClock } from '../../src/app/visible-clock.ts';
import { decode } from '../../src/decode/decode-run.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { readModel } from '../../scripts/node-model.ts';
import { FakeVisibility, newRig, request, TimedEngine, type Rig } from '../helpers/timed-engine.ts';

const loaded = readModel();
const { weights, tokenizer, decoding } = loaded;
const model = new ReferenceModel(weights);
const maxSeqLen = weights.config.max_seq_len;

interface Setup {
  rig: Rig;
  visibility: FakeVisibility;
  controller: RaceController;
  phases: RacePhase[];
  backends: { disposed: boolean; loseDevice: (why: string) => void }[];
}

function setup(costs = { baseline: 10, mtp: 25 }, yieldTask?: () => Promise<void>): Setup {
  const rig = newRig();
  const visibility = new FakeVisibility();
  const phases: RacePhase[] = [];
  const backends: Setup['backends'] = [];
  const controller: RaceController = new RaceController({
    loadModel: async () => ({ name: loaded.name, weights, tokenizer, decoding }),
    createBackend: async () => {
      let loseDevice!: (why: string) => void;
      const lost = new Promise<string>((resolve) => (loseDevice = resolve));
      const record = { disposed: false, loseDevice };
      backends.push(record);
      rig.lost = false;
      const backend: Backend = {
        kind: 'webgpu',
        label: `fake device ${backends.length}`,
        baseline: new TimedEngine(rig, 'baseline', costs.baseline, model),
        mtp: new TimedEngine(rig, 'mtp', costs.mtp, model),
        report: {
          adapterInfo: { vendor: 'fake', architecture: '', device: '', description: 'fake', isFallbackAdapter: false },
        } as Backend['report'],
        lost,
        dispose: () => (record.disposed = true),
      };
      return backend;
    },
    clock: new VisibleClock(visibility, () => rig.t),
    onChange: () => {
      const phase = controller.view().phase;
      if (phases[phases.length - 1] !== phase) phases.push(phase);
    },
    yieldTask,
  });
  return { rig, visibility, controller, phases, backends };
}

/** The baseline's greedy tokens on a plain CPU engine, with the rule the race applies. */
const reference = (prompt: number[], maxTokens: number) =>
  decode(new CpuEngine(model), prompt, { depth: 0, maxTokens, endOfText: tokenizer.endOfText, noRepeatNgram: decoding.noRepeatNgram });

describe('RaceController', () => {
  it('loads, runs both sides to the same greedy text, and reports the figures', async () => {
    const { controller, phases, rig } = setup();
    await controller.start();
    expect(controller.view().phase).toBe('idle');
    await controller.run(request('The jury said'));
    const view = controller.view();
    expect(phases).toEqual(['loading', 'idle', 'running', 'done']);
    const result = view.result!;
    const expected = await reference([tokenizer.endOfText, ...tokenizer.encode('The jury said')], 20);
    expect(result.baseline.tokens).toEqual(expected.tokens);
    expect(result.mtp.tokens).toEqual(expected.tokens);
    expect(result.baseline.text).toBe(tokenizer.decode(expected.tokens));
    expect(view.mtp!.segments.map((s) => s.text).join('')).toBe(result.mtp.text);
    // Accepted drafts are marked by position; the others are the main model's own tokens.
    expect(view.mtp!.segments.every((s) => s.draft >= 0 && s.draft <= 2)).toBe(true);
    expect(view.baseline!.segments.every((s) => s.draft === 0)).toBe(true);
    // Fake time: baseline steps cost 10, MTP steps 25.
    expect(result.baseline.metrics.decodeMs).toBe(10 * result.baseline.metrics.steps);
    expect(result.mtp.metrics.decodeMs).toBe(25 * result.mtp.metrics.steps);
    expect(result.speedup).toBeCloseTo(result.mtp.metrics.tokensPerSecond! / result.baseline.metrics.tokensPerSecond!, 12);
    expect(rig.maxInFlight).toBe(1);
  });

  it('a draft-tree run: the same greedy text, the tree in the result, and each tree step pictured', async () => {
    const { controller } = setup();
    await controller.start();
    await controller.run({ ...request('The jury said', 24), tree: 8 });
    const view = controller.view();
    const result = view.result!;
    const expected = await reference([tokenizer.endOfText, ...tokenizer.encode('The jury said')], 24);
    expect(result.mtp.tokens).toEqual(expected.tokens);
    expect(result.tree?.rows).toBe(8);
    expect(view.tree).toEqual(result.tree);
    const picture = view.mtp!.tree!;
    // Eight rows: the root and seven candidates, over the depths, each depth's kept one among those offered.
    expect(picture.depths.flat()).toHaveLength(7);
    picture.depths.forEach((cands, d) => {
      expect(cands.filter((c) => c.kept).length).toBe(d < picture.kept ? 1 : 0);
      for (const c of cands) if (c.kept) expect(c.offered).toBe(true);
    });
    expect(picture.chainKept).toBeLessThanOrEqual(picture.kept);
    // Depth-1 acceptance counts the steps whose main-model token was among the depth-1 candidates.
    const steps = result.mtp.metrics.acceptance[0];
    expect(steps.judged).toBeGreaterThan(0);
  });

  it('a draft tree with sampling drafts the chain, and says so', async () => {
    const { controller } = setup();
    await controller.start();
    await controller.run({ ...request('The jury said', 12), tree: 8, temperature: 0.8, seed: 5 });
    const view = controller.view();
    expect(view.result!.tree).toBeNull();
    expect(view.mtp!.tree).toBeUndefined();
    expect(view.runNotices.map((n) => n.text).join(' ')).toMatch(/greedy only/);
  });

  it('samples at a temperature: each side is the CPU loop sampling with the run seed, and the seed is reported', async () => {
    const { controller } = setup();
    await controller.start();
    await controller.run({ ...request('The jury said', 16), temperature: 0.8, seed: 7 });
    const result = controller.view().result!;
    expect(result.temperature).toBe(0.8);
    expect(result.seed).toBe(7);
    const prompt = [tokenizer.endOfText, ...tokenizer.encode('The jury said')];
    for (const [side, depth] of [
      ['baseline', 0],
      ['mtp', 2],
    ] as const) {
      const expected = await decode(new CpuEngine(model), prompt, {
        depth,
        maxTokens: 16,
        endOfText: tokenizer.endOfText,
        sampling: { temperature: 0.8, seed: 7 },
      });
      expect(result[side].tokens, side).toEqual(expected.tokens);
    }
    // Greedy again: no seed, and the texts agree.
    await controller.run({ ...request('The jury said', 16), temperature: 0 });
    const greedy = controller.view().result!;
    expect(greedy.seed).toBeNull();
    expect(greedy.noRepeatNgram).toBe(decoding.noRepeatNgram);
    expect(greedy.mtp.tokens).toEqual(greedy.baseline.tokens);
  });

  it('a temperature out of range is clamped: negative or NaN is greedy, above the top is the top', () => {
    expect(runTemperature(undefined)).toBe(0);
    expect(runTemperature(-1)).toBe(0);
    expect(runTemperature(Number.NaN)).toBe(0);
    expect(runTemperature(0.5)).toBe(0.5);
    expect(runTemperature(99)).toBe(MAX_TEMPERATURE);
  });

  it('always steps the side that has used less step time', async () => {
    const { controller, rig } = setup({ baseline: 10, mtp: 25 });
    await controller.start();
    await controller.run(request('In the morning, she', 30));
    const { baseline, mtp } = controller.view().result!;
    const total = { baseline: baseline.metrics.steps, mtp: mtp.metrics.steps };
    const used = { baseline: 0, mtp: 0 };
    const done = { baseline: 0, mtp: 0 };
    const cost = { baseline: 10, mtp: 25 };
    for (const e of rig.log.filter((e) => e.kind === 'step')) {
      const side = e.side as 'baseline' | 'mtp';
      const other = side === 'baseline' ? 'mtp' : 'baseline';
      const otherOpen = done[other] < total[other];
      if (otherOpen) expect(used[side], `step ${done.baseline + done.mtp}`).toBeLessThanOrEqual(used[other]);
      used[side] += cost[side];
      done[side]++;
    }
    expect(done).toEqual(total);
  });

  it('a new run cancels the old one after its current step, one step on the device at a time', async () => {
    const s = setup();
    await s.controller.start();
    const later: Promise<void>[] = [];
    s.rig.beforeStep = (_side, steps) => {
      if (steps === 5 && later.length === 0) {
        later.push(s.controller.run(request('The man said that', 12)));
        later.push(s.controller.run(request('He had never seen', 12))); // and another at once: the last one wins
      }
    };
    await s.controller.run(request('The man said that', 60));
    await Promise.all(later);
    const view = s.controller.view();
    expect(view.phase).toBe('done');
    expect(view.result!.prompt.text).toBe('He had never seen');
    const expected = await reference([tokenizer.endOfText, ...tokenizer.encode('He had never seen')], 12);
    expect(view.result!.baseline.tokens).toEqual(expected.tokens);
    expect(view.result!.mtp.tokens).toEqual(expected.tokens);
    expect(s.rig.maxInFlight).toBe(1);
    // The cancelled runs never reached 'done'.
    expect(s.phases.filter((p) => p === 'done')).toHaveLength(1);
    expect(s.phases).not.toContain('error');
  });

  it('an empty prompt starts from the document-boundary token alone, and says so', async () => {
    const { controller } = setup();
    await controller.start();
    await controller.run(request('', 8));
    const view = controller.view();
    expect(view.result!.prompt.tokens).toEqual([tokenizer.endOfText]);
    expect(view.runNotices.map((n) => n.text).join(' ')).toMatch(/Empty prompt/);
    expect(view.result!.baseline.tokens).toEqual((await reference([tokenizer.endOfText], 8)).tokens);
  });

  it('a prompt longer than the context keeps its last tokens, leaving room for max tokens at full depth', async () => {
    const { controller } = setup({ baseline: 1, mtp: 1 });
    await controller.start();
    const text = 'The committee met again on Monday, and nothing was decided. '.repeat(40) + 'At last the chairman said';
    const maxTokens = 24;
    await controller.run(request(text, maxTokens));
    const view = controller.view();
    const result = view.result!;
    const budget = promptBudget(maxSeqLen, 2, maxTokens);
    expect(result.prompt.tokens).toHaveLength(budget);
    expect(result.prompt.tokens[0]).toBe(tokenizer.endOfText);
    expect(result.prompt.tokens.slice(1)).toEqual(tokenizer.encode(text).slice(-(budget - 1)));
    expect(result.prompt.keptTokens).toBeLessThan(result.prompt.textTokens);
    expect(view.prompt!.cut).toBe(true);
    expect(view.runNotices.map((n) => n.text).join(' ')).toMatch(/kept its last \d+ tokens/);
    // Every step drafted at full depth, and the run reached max tokens.
    expect(result.mtp.metrics.pooled.proposed).toBe(2 * result.mtp.metrics.steps);
    expect(result.mtp.stop).toBe('max-tokens');
    expect(result.baseline.tokens).toHaveLength(maxTokens);
    expect(result.mtp.tokens).toEqual(result.baseline.tokens);
  });

  it('takes any Unicode', async () => {
    const { controller } = setup();
    await controller.start();
    const text = 'Ünïcödé ✓ 日本語 🚀🚀 «quotes» \u0000 \ud83d';
    await controller.run(request(text, 8));
    const result = controller.view().result!;
    expect(result.prompt.tokens).toEqual([tokenizer.endOfText, ...tokenizer.encode(text)]);
    expect(result.mtp.tokens).toEqual(result.baseline.tokens);
  });

  it('pauses while the page is hidden, and the hidden time counts nowhere', async () => {
    let yields = 0;
    let visibility!: FakeVisibility;
    let rig!: Rig;
    const s = setup({ baseline: 10, mtp: 25 }, async () => {
      yields++;
      if (yields === 4) {
        visibility.set(true);
        setTimeout(() => {
          rig.t += 60_000; // a minute away
          visibility.set(false);
        }, 30);
      }
    });
    visibility = s.visibility;
    rig = s.rig;
    s.rig.beforeStep = () => expect(s.visibility.hidden).toBe(false);
    await s.controller.start();
    await s.controller.run(request('The jury said', 16));
    const { baseline, mtp } = s.controller.view().result!;
    expect(yields).toBeGreaterThan(4);
    expect(baseline.metrics.decodeMs).toBe(10 * baseline.metrics.steps);
    expect(mtp.metrics.decodeMs).toBe(25 * mtp.metrics.steps);
  });

  it('a lost device: says so, and rebuilds the engines on the next Run', async () => {
    const s = setup();
    await s.controller.start();
    await s.controller.run(request('The jury said', 6));
    s.backends[0].loseDevice('The GPU device was lost (unknown): gone.');
    await new Promise((r) => setTimeout(r, 0));
    let view = s.controller.view();
    expect(view.device.failure?.reason).toBe('lost');
    expect(view.deviceNotices.map((n) => n.text).join(' ')).toMatch(/lost.*rebuilt on a new device at the next Run/);
    await s.controller.run(request('The jury said', 6));
    view = s.controller.view();
    expect(s.backends).toHaveLength(2);
    expect(s.backends[0].disposed).toBe(true);
    expect(view.phase).toBe('done');
    expect(view.device.state).toBe('done');
    expect(view.deviceNotices).toEqual([]);
  });

  it('a device lost mid-run ends the run in error; the next Run works on new engines', async () => {
    const s = setup();
    await s.controller.start();
    s.rig.beforeStep = (_side, steps) => {
      if (steps === 3 && !s.rig.lost) {
        s.rig.lost = true;
        s.backends[s.backends.length - 1].loseDevice('The GPU device was lost (unknown): gone.');
      }
    };
    await s.controller.run(request('The jury said', 20));
    await new Promise((r) => setTimeout(r, 0));
    let view = s.controller.view();
    expect(view.phase).toBe('error');
    expect(view.runNotices.some((n) => n.level === 'error' && /device was lost/.test(n.text))).toBe(true);
    s.rig.beforeStep = undefined;
    await s.controller.run(request('The jury said', 8));
    view = s.controller.view();
    expect(view.phase).toBe('done');
    expect(s.backends).toHaveLength(2);
  });
});

describe('RaceController on the CPU fallback', () => {
  const controllerWith = (failure: Backend['failure']) =>
    new RaceController({
      loadModel: async () => ({ name: loaded.name, weights, tokenizer, decoding }),
      createBackend: async (w) => cpuBackend(w, failure),
      clock: new VisibleClock(new FakeVisibility(), () => 0),
    });

  it('says why: no WebGPU, or an engine that would not build (with its error, a WGSL one say)', async () => {
    const none = controllerWith({ reason: 'no-adapter', message: 'no adapter' });
    await none.start();
    expect(
      none
        .view()
        .deviceNotices.map((n) => n.text)
        .join(' '),
    ).toMatch(/^WebGPU is unavailable here .* CPU reference engine instead/);
    const broken = controllerWith({
      reason: 'engine',
      message: 'The WebGPU engine could not be built on this device: expected ")" for function declaration.',
    });
    await broken.start();
    expect(
      broken
        .view()
        .deviceNotices.map((n) => n.text)
        .join(' '),
    ).toMatch(
      /^The WebGPU engine could not be built on this device: expected "\)" for function declaration \(a shader error, say\)\. The race runs on the CPU reference engine instead/,
    );
  });
});
