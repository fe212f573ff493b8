// Autoplay for conference screens (`?autoplay`, see kiosk.ts): runs the prompts one after the
// other forever, with no one at the keyboard. No DOM: it watches the race controller's phase.
//
// - ready (idle): the first prompt runs at once;
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
import type { Phase, RunRequest } from './race.ts';

/** The part of RaceController that autoplay drives. */
export interface AutoplayTarget {
  readonly currentPhase: Phase;
  /** The model's number of MTP modules, once loaded. */
  readonly modelDepth: number | undefined;
  run(request: RunRequest): Promise<void>;
  start(): Promise<void>;
}

export interface AutoplayOptions {
  /** Cycled in order (at least one). */
  prompts: readonly string[];
  /** Draft depth; undefined: the model's. */
  depth?: number;
  maxTokens: number;
  /** 0 or undefined: greedy. */
  temperature?: number;
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
  private lastPhase?: Phase;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly watchdog: ReturnType<typeof setInterval>;
  private next = 0;
  private failures = 0;
  private lastChange = Date.now();
  private readonly prompts: readonly string[];
  private disposed = false;

  constructor(
    private readonly target: AutoplayTarget,
    private readonly options: AutoplayOptions,
  ) {
    this.prompts = options.prompts.length > 0 ? [...options.prompts] : [''];
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
    const depth = this.target.modelDepth;
    if (depth === undefined) {
      // The model never loaded (start failed): try again from the start.
      void this.target.start().finally(() => this.settled());
      return;
    }
    const request: RunRequest = { text: this.prompts[this.next], depth: this.options.depth ?? depth, maxTokens: this.options.maxTokens, temperature: this.options.temperature };
    this.next = (this.next + 1) % this.prompts.length;
    this.options.onRun?.(request);
    void this.target.run(request).finally(() => this.settled());
  }

  /**
   * After a run or start it began has returned: if nothing is scheduled and nothing is under
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
