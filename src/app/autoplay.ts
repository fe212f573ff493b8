// Autoplay for conference screens (`?autoplay`, see kiosk.ts): runs the prompts one after the
// other forever, with no one at the keyboard. No DOM: it watches the race controller's phase.
//
// - ready (idle): the first prompt runs at once;
// - with `models`, the cycle is model A's prompts, then B's, ..., then A's again: before the first
//   prompt of another model, it switches models (RaceController.selectModel, the same hand-over as
//   the page's picker) and runs once that model is ready. A switch that fails is retried as a run
//   is, but with the next model of the cycle (the failed one comes round again a lap later), and
//   so is a first model that never loaded (a stalled download, say);
// - a model a visitor picks is carried on with: one in the cycle from its first prompt, the cycle
//   going on from there; one outside it runs its own prompts (`promptsOf`) once, then the cycle
//   goes on with the model that was next;
// - a run is done: its result stays up for `holdMs`, then the next prompt runs;
// - a run failed (a lost GPU device, for instance): the message stays up for `retryMs`, doubling
//   with each failure in a row (at most `maxRetryMs`), then the next prompt runs, which rebuilds
//   the engines on a new device (RaceController.run does that when the device was lost); when the
//   model itself never loaded, it starts the controller again instead;
// - a run or a start that shows no progress for `stallMs` of visible time (a hung GPU, say) calls
//   `onStall` (the page reloads itself).
// A visitor's own Run is simply one more run: autoplay carries on once it is done.
//
// It holds one timer and one interval, and nothing that grows from run to run.
import type { Pace } from './race-types.ts';
import type { RacePhase, RunRequest } from './race-types.ts';

/** The part of RaceController that autoplay drives. */
export interface AutoplayTarget {
  readonly currentPhase: RacePhase;
  /** The model's number of MTP modules, once loaded. */
  readonly mtpDepth: number | undefined;
  /** The model loaded (undefined while one loads, or after a load failed). */
  readonly modelName: string | undefined;
  run(request: RunRequest): Promise<void>;
  start(): Promise<void>;
  selectModel(name: string): Promise<void>;
}

/** One model's part of the cycle. */
export interface AutoplayModel {
  model: string;
  prompts: readonly string[];
}

export interface AutoplayOptions {
  /** Cycled in order (at least one), on the model loaded; not used when `models` is given. */
  prompts?: readonly string[];
  /** The models to cycle, in order, each with its prompts. */
  models?: readonly AutoplayModel[];
  /** The prompts of a model outside `models` that a visitor picked (none: one empty prompt). */
  promptsOf?: (model: string) => readonly string[];
  /** Draft depth; undefined: the model's. */
  depth?: number;
  /** Draft tree rows (0 or undefined: the chain). */
  tree?: number;
  maxTokens: number;
  /** 0 or undefined: greedy. */
  temperature?: number;
  /** How each race is shown (src/app/replay.ts). */
  pace?: Pace;
  holdMs: number;
  retryMs?: number;
  maxRetryMs?: number;
  stallMs?: number;
  onStall?: () => void;
  /** Told about each run it starts (the page shows the request in its controls). */
  onRun?: (request: RunRequest) => void;
  /** True while the page is hidden: the race pauses then, and the stall clock with it. */
  hidden?: () => boolean;
}

export const AUTOPLAY_DEFAULTS = { retryMs: 2000, maxRetryMs: 60_000, stallMs: 180_000 } as const;

export class Autoplay {
  private lastPhase?: RacePhase;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly watchdog: ReturnType<typeof setInterval>;
  private next = 0;
  private failures = 0;
  private lastChange = Date.now();
  /** The cycle: each prompt with its model (none: whichever is loaded). */
  private readonly items: readonly { model?: string; text: string }[];
  /** The model of the last prompt autoplay ran (a different one loaded means a visitor chose it). */
  private lastModel?: string;
  /** The model autoplay asked for and has not seen loaded yet. */
  private pending?: string;
  /** A model outside the cycle that a visitor picked: its prompts, and the next to run. */
  private visit?: { model: string; texts: readonly string[]; index: number };
  private disposed = false;

  constructor(
    private readonly target: AutoplayTarget,
    private readonly options: AutoplayOptions,
  ) {
    const some = (prompts: readonly string[] | undefined) => (prompts && prompts.length > 0 ? prompts : ['']);
    this.items = options.models?.length
      ? options.models.flatMap((m) => some(m.prompts).map((text) => ({ model: m.model, text })))
      : some(options.prompts).map((text) => ({ text }));
    // The first model was asked for by the page: if it never loads, the next one gets its turn.
    this.pending = this.items[0].model;
    const stallMs = options.stallMs ?? AUTOPLAY_DEFAULTS.stallMs;
    this.watchdog = setInterval(() => this.checkStall(stallMs), Math.max(50, Math.min(10_000, stallMs / 4)));
  }

  /** Index of the prompt the next run takes. */
  get nextIndex(): number {
    return this.next;
  }

  /** Call after every change of the controller (cheap: it only looks at the phase). */
  update(): void {
    if (this.disposed) return;
    this.lastChange = Date.now();
    const phase = this.target.currentPhase;
    if (phase === this.lastPhase) return;
    this.lastPhase = phase;
    this.cancelTimer();
    switch (phase) {
      case 'idle':
        this.schedule(0);
        break;
      case 'done':
        this.failures = 0;
        this.schedule(this.options.holdMs);
        break;
      case 'error': {
        const first = this.options.retryMs ?? AUTOPLAY_DEFAULTS.retryMs;
        const cap = this.options.maxRetryMs ?? AUTOPLAY_DEFAULTS.maxRetryMs;
        this.schedule(Math.min(cap, first * 2 ** Math.min(this.failures, 20)));
        this.failures++;
        break;
      }
      // 'loading', 'running': a run (this one's or a visitor's) is under way.
    }
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    clearInterval(this.watchdog);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    if (this.disposed) return;
    const loaded = this.target.modelName;
    if (this.visiting(loaded)) return;
    const want = this.items[this.next].model;
    if (want !== undefined && want !== loaded) {
      const chosen = loaded === undefined || loaded === this.lastModel ? -1 : this.items.findIndex((i) => i.model === loaded);
      if (chosen >= 0) {
        // A visitor picked another model of the cycle: go on with its prompts.
        this.next = chosen;
      } else {
        // The last switch to this model failed: the next model's turn.
        if (this.pending === want) this.next = this.nextModel(this.next);
        const model = this.items[this.next].model!;
        if (model !== loaded) {
          this.pending = model;
          void this.target.selectModel(model).finally(() => this.settled());
          return;
        }
      }
    }
    const depth = this.target.mtpDepth;
    if (depth === undefined) {
      // The model never loaded (start failed): try again from the start.
      void this.target.start().finally(() => this.settled());
      return;
    }
    const text = this.items[this.next].text;
    this.next = (this.next + 1) % this.items.length;
    this.runPrompt(text, loaded, depth);
  }

  private runPrompt(text: string, model: string | undefined, depth: number): void {
    this.pending = undefined;
    this.lastModel = model;
    const request: RunRequest = {
      text,
      depth: this.options.depth ?? depth,
      tree: this.options.tree,
      maxTokens: this.options.maxTokens,
      temperature: this.options.temperature,
      pace: this.options.pace,
    };
    this.options.onRun?.(request);
    void this.target.run(request).finally(() => this.settled());
  }

  /**
   * Runs the next prompt of a model outside the cycle that a visitor picked (`loaded`, new since
   * autoplay's last run), if that is what is loaded; false when the cycle's own turn has come.
   */
  private visiting(loaded: string | undefined): boolean {
    const depth = this.target.mtpDepth;
    if (loaded === undefined || depth === undefined || !this.options.models?.length) return false;
    const picked = loaded !== this.lastModel && this.visit?.model !== loaded && !this.items.some((i) => i.model === loaded);
    if (picked) {
      const texts = this.options.promptsOf?.(loaded) ?? [];
      this.visit = { model: loaded, texts: texts.length > 0 ? texts : [''], index: 0 };
    }
    const visit = this.visit;
    if (!visit || visit.model !== loaded) {
      this.visit = undefined;
      return false;
    }
    const text = visit.texts[visit.index++];
    if (visit.index >= visit.texts.length) this.visit = undefined;
    this.runPrompt(text, loaded, depth);
    return true;
  }

  /** The first prompt after `index` of another model than its own (`index` when there is no other). */
  private nextModel(index: number): number {
    for (let k = 1; k < this.items.length; k++) {
      const j = (index + k) % this.items.length;
      if (this.items[j].model !== this.items[index].model) return j;
    }
    return index;
  }

  /**
   * After a run, start or switch it began has returned: if nothing is scheduled and nothing is under
   * way (it failed without ever leaving 'error', say), treat the phase as new, so the cycle goes on.
   */
  private settled(): void {
    if (this.disposed || this.timer !== undefined) return;
    const phase = this.target.currentPhase;
    if (phase === 'running' || phase === 'loading') return;
    this.lastPhase = undefined;
    this.update();
  }

  private checkStall(stallMs: number): void {
    if (this.disposed) return;
    const now = Date.now();
    if (this.options.hidden?.()) {
      this.lastChange = now;
      return;
    }
    const phase = this.target.currentPhase;
    if ((phase === 'running' || phase === 'loading') && now - this.lastChange > stallMs) {
      this.lastChange = now;
      this.options.onStall?.();
    }
  }
}
