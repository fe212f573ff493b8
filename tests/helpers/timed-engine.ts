// Shared by the race controller's unit tests (race.test.ts, race-select-model.test.ts): a page
// visibility to hide and show, and CPU engines whose steps take fake time and are logged.
import type { VisibilitySource } from '../../src/app/visible-clock.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import {
  type DecodeEngine,
  type PrefillSampling,
  type StepResult,
  type StepSampling,
  type TreeStepResult,
} from '../../src/model/decode-engine.ts';
import type { DraftTree } from '../../src/model/draft-tree.ts';
import type { ReferenceModel } from '../../src/model/reference.ts';
import type { RunRequest } from '../../src/app/race-types.ts';

export class FakeVisibility implements VisibilitySource {
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
export interface Rig {
  t: number;
  inFlight: number;
  maxInFlight: number;
  log: { side: string; kind: 'prefill' | 'step'; at: number }[];
  /** Called before each step with the side's name and how many steps the rig has run. */
  beforeStep?: (side: string, steps: number) => void;
  lost?: boolean;
}

/** A CPU engine whose steps take `cost` ms of fake time and are counted. */
export class TimedEngine implements DecodeEngine {
  private readonly inner: CpuEngine;
  readonly name: string;
  constructor(
    private readonly rig: Rig,
    readonly side: string,
    private readonly cost: number,
    reference: ReferenceModel,
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

/** A fresh log: time 0, nothing run. */
export const newRig = (): Rig => ({ t: 0, inFlight: 0, maxInFlight: 0, log: [] });

export const request = (text: string, maxTokens = 20, depth = 2): RunRequest => ({ text, depth, maxTokens });
