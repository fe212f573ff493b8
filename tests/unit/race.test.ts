// The race controller (src/app/race.ts) on the CPU reference engine with a fake clock: fair
// scheduling, one step at a time, cancelling, the prompt's edge cases, a hidden page, a lost device;
// then switching models (selectModel) with the models loaded as the page loads them, by fetchModel
// over HTTP from public/models/.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend, fetchModel, type Backend } from '../../src/app/backend.ts';
import { MIN_PROMPT_SHARE, preparePrompt, promptBudget } from '../../src/decode/prompt.ts';
import { RaceController } from '../../src/app/race.ts';
import type { RacePhase, RunRequest } from '../../src/app/race-types.ts';
import { runTemperature } from '../../src/decode/run-options.ts';
import { MAX_TEMPERATURE } from '../../src/decode/run-options.ts';
import { VisibleClock, type VisibilitySource } from '../../src/app/visible-clock.ts';
import { decode } from '../../src/decode/decode-run.ts';
import { modelEntry } from '../../src/model/catalogue.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import {
  type DecodeEngine,
  type PrefillSampling,
  type StepResult,
  type StepSampling,
  type TreeStepResult,
} from '../../src/model/decode-engine.ts';
import type { DraftTree } from '../../src/model/draft-tree.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { MODELS_DIR, readModel } from '../../scripts/node-model.ts';
import { startModelServer, type ModelServer } from '../helpers/model-server.ts';

const loaded = readModel();
const { weights, tokenizer, decoding } = loaded;
const model = new ReferenceModel(weights);
const maxSeqLen = weights.config.max_seq_len;

class FakeVisibility implements VisibilitySource {
  hidden = false;
  private listeners = new Set<() => void>();
  addEventListener(_: 'visibilitychange', l: () => void) {
    this.listeners.add(l);
  }
  removeEventListener(_: 'visibilitychange', l: () => void) {
    this.listeners.delete(l);
  }
  set(hidden: boolean) {
    this.hidden = hidden;
    for (const l of this.listeners) l();
  }
}

/** Shared by a test's engines: the fake time, and a log of every engine call. */
interface Rig {
  t: number;
  inFlight: number;
  maxInFlight: number;
  log: { side: string; kind: 'prefill' | 'step'; at: number }[];
  /** Called before each step with the side's name and how many steps the rig has run. */
  beforeStep?: (side: string, steps: number) => void;
  lost?: boolean;
}

/** A CPU engine whose steps take `cost` ms of fake time and are counted. */
class TimedEngine implements DecodeEngine {
  private readonly inner: CpuEngine;
  readonly name: string;
  constructor(
    private readonly rig: Rig,
    readonly side: string,
    private readonly cost: number,
    reference: ReferenceModel = model,
  ) {
    this.name = `timed ${side}`;
    this.inner = new CpuEngine(reference);
  }
  get config() {
    return this.inner.config;
  }
  get length() {
    return this.inner.length;
  }
  async prefill(prompt: readonly number[], depth: number, sampling?: PrefillSampling): Promise<number> {
    return this.timed('prefill', () => this.inner.prefill(prompt, depth, sampling));
  }
  async step(depth: number, sampling?: StepSampling): Promise<StepResult> {
    this.rig.beforeStep?.(this.side, this.rig.log.filter((e) => e.kind === 'step').length);
    if (this.rig.lost) throw new Error('the WebGPU device was lost; create a new engine');
    return this.timed('step', () => this.inner.step(depth, sampling));
  }
  async treeStep(tree: DraftTree): Promise<TreeStepResult> {
    if (this.rig.lost) throw new Error('the WebGPU device was lost; create a new engine');
    return this.timed('step', () => this.inner.treeStep(tree));
  }
  commit(tokens: readonly number[]): void {
    this.inner.commit(tokens);
  }
  mainLogits(row: number): Promise<Float32Array> {
    return this.inner.mainLogits(row);
  }
  private async timed<T>(kind: 'prefill' | 'step', body: () => Promise<T>): Promise<T> {
    const rig = this.rig;
    rig.inFlight++;
    rig.maxInFlight = Math.max(rig.maxInFlight, rig.inFlight);
    rig.log.push({ side: this.side, kind, at: rig.t });
    try {
      const out = await body();
      await new Promise((r) => setTimeout(r, 0)); // a real await, as on the GPU
      rig.t += this.cost;
      return out;
    } finally {
      rig.inFlight--;
    }
  }
}

interface Setup {
  rig: Rig;
  visibility: FakeVisibility;
  controller: RaceController;
  phases: RacePhase[];
  backends: { disposed: boolean; loseDevice: (why: string) => void }[];
}

function setup(costs = { baseline: 10, mtp: 25 }, yieldTask?: () => Promise<void>): Setup {
  const rig: Rig = { t: 0, inFlight: 0, maxInFlight: 0, log: [] };
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
        baseline: new TimedEngine(rig, 'baseline', costs.baseline),
        mtp: new TimedEngine(rig, 'mtp', costs.mtp),
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

const request = (text: string, maxTokens = 20, depth = 2): RunRequest => ({ text, depth, maxTokens });

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

describe('preparePrompt', () => {
  const opts = { maxSeqLen, depth: 2, maxTokens: 64 };
  it('puts the boundary token first and keeps a short prompt whole', () => {
    const p = preparePrompt(tokenizer, 'Hello there', opts);
    expect(p.tokens).toEqual([tokenizer.endOfText, ...tokenizer.encode('Hello there')]);
    expect(p.notes).toEqual([]);
    expect(p.maxTokens).toBe(64);
  });
  it('clamps max tokens to what the context leaves after the prompt, never dropping the prompt', () => {
    const hi = tokenizer.encode('Hi');
    for (const maxTokens of [10_000, 1e9, Infinity]) {
      const p = preparePrompt(tokenizer, 'Hi', { ...opts, maxTokens });
      expect(p.tokens).toEqual([tokenizer.endOfText, ...hi]);
      expect(p.maxTokens).toBe(maxSeqLen - 2 - hi.length);
      expect(p.notes.join(' ')).toMatch(new RegExp(`lowered to ${maxSeqLen - 2 - hi.length}: .* the prompt takes ${hi.length + 1}`));
    }
    expect(preparePrompt(tokenizer, 'Hi', { ...opts, maxTokens: 0 }).maxTokens).toBe(1);
  });
  it('a long prompt with a huge max tokens keeps MIN_PROMPT_SHARE of the context', () => {
    const text = 'word '.repeat(600);
    const p = preparePrompt(tokenizer, text, { ...opts, maxTokens: 1e9 });
    const most = promptBudget(maxSeqLen, 2, 1) - 1;
    expect(p.keptTokens).toBe(Math.floor(most * MIN_PROMPT_SHARE));
    expect(p.tokens.slice(1)).toEqual(tokenizer.encode(text).slice(-p.keptTokens));
    expect(p.tokens.length + p.maxTokens + 2 - 1).toBe(maxSeqLen);
    expect(p.notes.join(' ')).toMatch(/kept its last \d+ tokens/);
  });
  it('a prompt exactly at the budget is kept whole', () => {
    const budget = promptBudget(maxSeqLen, 2, 64) - 1;
    const ids = tokenizer.encode('word '.repeat(400)).slice(0, budget);
    const text = tokenizer.decode(ids);
    const p = preparePrompt(tokenizer, text, opts);
    expect(p.keptTokens).toBe(p.textTokens);
    expect(p.tokens.length).toBeLessThanOrEqual(budget + 1);
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

describe('RaceController.selectModel (models fetched over HTTP, as the page loads them)', () => {
  let server: ModelServer;
  beforeAll(async () => {
    server = await startModelServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The models as the Node tools read them from disk: what the switch must end up with. */
  const onDisk = { brown: readModel('brown-mtp'), python: readModel('python-mtp') };
  const weightBytes = (name: string) => statSync(`${MODELS_DIR}${name}.safetensors`).size;

  function switching(first: string, { stallMs }: { stallMs?: number } = {}) {
    const rig: Rig = { t: 0, inFlight: 0, maxInFlight: 0, log: [] };
    /** Engines built and disposed, in order ('create 0 brown-mtp', 'dispose 0', ...). */
    const events: string[] = [];
    const backends: { model: string; disposed: boolean }[] = [];
    const loads: { name: string; signal: AbortSignal }[] = [];
    const progress: { name: string; received: number; total?: number }[] = [];
    const phases: RacePhase[] = [];
    const controller: RaceController = new RaceController({
      model: first,
      loadModel: (name, { onProgress, signal }) => {
        loads.push({ name, signal });
        return fetchModel(`${server.base}/${name}`, fetch, { onProgress, signal, stallMs });
      },
      createBackend: async (w) => {
        const index = backends.length;
        const record = { model: controller.view().model!.name, disposed: false };
        backends.push(record);
        events.push(`create ${index} ${record.model}`);
        const reference = new ReferenceModel(w);
        return {
          kind: 'webgpu',
          label: `fake device ${index}`,
          baseline: new TimedEngine(rig, `${index}/baseline`, 10, reference),
          mtp: new TimedEngine(rig, `${index}/mtp`, 25, reference),
          lost: new Promise<string>(() => {}),
          dispose: () => {
            record.disposed = true;
            events.push(`dispose ${index}`);
          },
        } satisfies Backend;
      },
      clock: new VisibleClock(new FakeVisibility(), () => rig.t),
      onChange: () => {
        const v = controller.view();
        if (phases[phases.length - 1] !== v.phase) phases.push(v.phase);
        if (v.loading) progress.push({ ...v.loading });
      },
    });
    return { rig, events, backends, loads, progress, phases, controller };
  }

  it('mid-run: the old run stops after its current step, its engines go, and the new model shows with its name and depth D', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    expect(s.controller.view().model).toMatchObject({ name: 'brown-mtp', mtpDepth: onDisk.brown.weights.config.mtp_depth });
    let switched: Promise<void> | undefined;
    let inFlight = -1;
    let atSwitch: ReturnType<RaceController['view']> | undefined;
    s.rig.beforeStep = (_side, steps) => {
      if (steps === 5 && !switched) {
        switched = s.controller.selectModel('python-mtp');
        atSwitch = s.controller.view();
        inFlight = s.rig.log.length; // this step is logged next, and still runs
      }
    };
    await s.controller.run(request('The man said that', 60));
    await switched;

    // At once, before the old step had finished: nothing of the old model on show.
    expect(atSwitch).toMatchObject({
      phase: 'loading',
      selectedModel: 'python-mtp',
      model: undefined,
      baseline: undefined,
      mtp: undefined,
      result: undefined,
    });
    expect(atSwitch!.loading).toMatchObject({ name: 'python-mtp', title: modelEntry('python-mtp')!.title });
    // The step in flight finished; no step of the old engines after it; they were disposed before the new ones were built.
    expect(s.rig.log[inFlight].side.startsWith('0/')).toBe(true);
    expect(s.rig.log.slice(inFlight + 1).filter((e) => e.side.startsWith('0/'))).toEqual([]);
    expect(s.events).toEqual(['create 0 brown-mtp', 'dispose 0', 'create 1 python-mtp']);
    expect(s.rig.maxInFlight).toBe(1);
    // The cancelled run never finished, and nothing failed.
    expect(s.phases).not.toContain('done');
    expect(s.phases).not.toContain('error');

    const view = s.controller.view();
    const config = onDisk.python.weights.config;
    expect(view.phase).toBe('idle');
    expect(view.model).toEqual({
      name: 'python-mtp',
      title: modelEntry('python-mtp')!.title,
      domain: 'code',
      mtpDepth: config.mtp_depth,
      maxSeqLen: config.max_seq_len,
      noRepeatNgram: onDisk.python.decoding.noRepeatNgram,
      fromCache: false,
    });
    expect(view.model!.mtpDepth).toBe(3);
    expect(view.loading).toBeUndefined();
    expect([view.baseline, view.mtp, view.result, view.prompt, view.depth]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // The weights' progress: from 0 to their size (the server sends content-length).
    const python = s.progress.filter((p) => p.name === 'python-mtp');
    expect(python[0]).toMatchObject({ received: 0 });
    // (Before the response came, the size was not known yet.)
    expect(python.filter((p) => p.received > 0).length).toBeGreaterThan(0);
    expect(python.filter((p) => p.received > 0).every((p) => p.total === weightBytes('python-mtp'))).toBe(true);
    expect(python[python.length - 1].received).toBe(weightBytes('python-mtp'));

    // A greedy run at the new model's full depth: both sides give its CPU reference's text, under its card's rule.
    const text = 'def read_config(path):\n    """Return the settings."""\n';
    await s.controller.run({ text, depth: 3, maxTokens: 16 });
    const result = s.controller.view().result!;
    const prompt = [onDisk.python.tokenizer.endOfText, ...onDisk.python.tokenizer.encode(text)];
    const expected = await decode(new CpuEngine(new ReferenceModel(onDisk.python.weights)), prompt, {
      depth: 0,
      maxTokens: 16,
      endOfText: onDisk.python.tokenizer.endOfText,
      noRepeatNgram: onDisk.python.decoding.noRepeatNgram,
    });
    expect(result.depth).toBe(3);
    expect(result.noRepeatNgram).toBe(onDisk.python.decoding.noRepeatNgram);
    expect(result.prompt.tokens).toEqual(prompt);
    expect(result.baseline.tokens).toEqual(expected.tokens);
    expect(result.mtp.tokens).toEqual(expected.tokens);
    expect(result.mtp.metrics.pooled.proposed).toBeGreaterThan(0);
  });

  it('a model the server lacks: the switch ends in an error naming the file, and another model loads after it', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    server.deny.add('python-mtp.safetensors');
    try {
      await s.controller.selectModel('python-mtp');
    } finally {
      server.deny.delete('python-mtp.safetensors');
    }
    let view = s.controller.view();
    expect(view.phase).toBe('error');
    expect(view.selectedModel).toBe('python-mtp');
    expect(view.model).toBeUndefined();
    expect(view.loading).toBeUndefined();
    const errors = view.runNotices.filter((n) => n.level === 'error').map((n) => n.text);
    expect(errors).toEqual([`Could not load the model python-mtp: ${server.base}/python-mtp.safetensors: not found (HTTP 404).`]);
    expect(s.backends[0].disposed).toBe(true);
    // A run now says why it cannot.
    await s.controller.run(request('The jury said', 4));
    expect(
      s.controller
        .view()
        .runNotices.map((n) => n.text)
        .join(' '),
    ).toMatch(/not loaded/);

    await s.controller.selectModel('brown-mtp');
    view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('brown-mtp');
    expect(view.runNotices).toEqual([]);
    await s.controller.run(request('The jury said', 6));
    expect(s.controller.view().phase).toBe('done');
    expect(s.events).toEqual(['create 0 brown-mtp', 'dispose 0', 'create 1 brown-mtp']);
  });

  it('choosing again while a model downloads abandons that download; only the last choice is built', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    server.chunkDelayMs = 25;
    let first: Promise<void>;
    try {
      first = s.controller.selectModel('python-mtp');
      for (let i = 0; i < 400 && !((s.controller.view().loading?.received ?? 0) > 0); i++) await new Promise((r) => setTimeout(r, 10));
      expect(s.controller.view().loading).toMatchObject({ name: 'python-mtp' });
    } finally {
      server.chunkDelayMs = 0;
    }
    await Promise.all([first, s.controller.selectModel('kjv-mtp')]);
    const python = s.loads.find((l) => l.name === 'python-mtp')!;
    expect(python.signal.aborted).toBe(true);
    const partial = s.progress.filter((p) => p.name === 'python-mtp');
    expect(Math.max(...partial.map((p) => p.received))).toBeLessThan(weightBytes('python-mtp'));
    expect(s.events).toEqual(['create 0 brown-mtp', 'dispose 0', 'create 1 kjv-mtp']);
    const view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('kjv-mtp');
    expect(view.runNotices).toEqual([]);
  });

  it('picks back and forth, during a run and during a download: the last pick wins, and only it is built', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    const run = s.controller.run(request('The jury said', 40));
    await new Promise((r) => setTimeout(r, 20));
    server.chunkDelayMs = 5;
    try {
      // brown (racing) -> python -> brown -> python -> kjv -> python, each while the last one downloads.
      const picks = ['python-mtp', 'brown-mtp', 'python-mtp', 'kjv-mtp', 'python-mtp'].map((name) => s.controller.selectModel(name));
      expect(s.controller.view().selectedModel).toBe('python-mtp');
      await Promise.all([run, ...picks]);
    } finally {
      server.chunkDelayMs = 0;
    }
    const view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('python-mtp');
    expect(view.selectedModel).toBe('python-mtp');
    expect(s.events).toEqual(['create 0 brown-mtp', 'dispose 0', 'create 1 python-mtp']);
    // Picking the model already there changes nothing: no new download, no new engines.
    const requests = server.requests.length;
    await s.controller.selectModel('python-mtp');
    expect(server.requests.length).toBe(requests);
    await s.controller.run(request('def parse(', 4));
    expect(s.controller.view().result?.engine).toBe('fake device 1');
  });

  it('a download that stalls ends in an error naming the file; picking the model again retries it', async () => {
    const s = switching('brown-mtp', { stallMs: 300 });
    await s.controller.start();
    server.faults.set('kjv-mtp.safetensors', { kind: 'stall', afterBytes: 1024 });
    try {
      await s.controller.selectModel('kjv-mtp');
    } finally {
      server.faults.clear();
    }
    let view = s.controller.view();
    expect(view.phase).toBe('error');
    expect(view.runNotices.map((n) => n.text).join(' ')).toContain(
      `Could not load the model kjv-mtp: ${server.base}/kjv-mtp.safetensors: the download stalled (no data for 0.3 s, after 1024 bytes).`,
    );
    await s.controller.selectModel('kjv-mtp');
    view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('kjv-mtp');
  });

  it('a name not in the catalogue is refused, and nothing changes', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    await s.controller.selectModel('../brown-mtp');
    const view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('brown-mtp');
    expect(view.selectedModel).toBe('brown-mtp');
    expect(view.runNotices.map((n) => n.text).join(' ')).toMatch(/unknown model "\.\.\/brown-mtp"/);
    expect(s.events).toEqual(['create 0 brown-mtp']);
    expect(server.requests.some((r) => r.includes('..'))).toBe(false);
  });
});
