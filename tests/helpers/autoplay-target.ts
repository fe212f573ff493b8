// Shared by the autoplay tests on a fake controller (autoplay.test.ts, autoplay-models.test.ts): a
// target whose phases, runs, starts and model switches the test drives and records.
import { Autoplay, type AutoplayTarget } from '../../src/app/autoplay.ts';
import type { RacePhase, RunRequest } from '../../src/app/race-types.ts';

export class FakeTarget implements AutoplayTarget {
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

export function setup(options: Partial<ConstructorParameters<typeof Autoplay>[1]> = {}) {
  const target = new FakeTarget();
  const autoplay = new Autoplay(target, { prompts: ['one', 'two', 'three'], maxTokens: 12, holdMs: 3000, ...options });
  target.autoplay = autoplay;
  return { target, autoplay };
}
