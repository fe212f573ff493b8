// A clock that stops while the page is hidden, and a wait for the page to be visible again.
//
// Browsers throttle hidden tabs (timers, and often GPU work), so a step that straddles a tab
// switch would look slow. The race pauses stepping while the page is hidden and times its
// steps with this clock, so the hidden time counts nowhere.

/** The part of `document` this needs (a fake in tests). */
export interface VisibilitySource {
  readonly hidden: boolean;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

export class VisibleClock {
  private hiddenMs = 0;
  private hiddenSince: number | undefined;
  private waiters: (() => void)[] = [];
  private readonly onChange = () => this.update();

  constructor(
    private readonly source: VisibilitySource,
    private readonly wallClock: () => number = () => performance.now(),
  ) {
    if (source.hidden) this.hiddenSince = wallClock();
    source.addEventListener('visibilitychange', this.onChange);
  }

  /** Milliseconds of visible time (wall time minus the time the page was hidden). */
  readonly now = (): number => {
    const t = this.hiddenSince ?? this.wallClock();
    return t - this.hiddenMs;
  };

  get hidden(): boolean {
    return this.hiddenSince !== undefined;
  }

  /** Resolves at once while visible; otherwise when the page shows again or the signal aborts. */
  waitVisible(signal?: AbortSignal): Promise<void> {
    if (!this.hidden || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  dispose(): void {
    this.source.removeEventListener('visibilitychange', this.onChange);
    for (const w of [...this.waiters]) w();
  }

  private update(): void {
    const t = this.wallClock();
    if (this.source.hidden && this.hiddenSince === undefined) {
      this.hiddenSince = t;
    } else if (!this.source.hidden && this.hiddenSince !== undefined) {
      this.hiddenMs += t - this.hiddenSince;
      this.hiddenSince = undefined;
      for (const w of [...this.waiters]) w();
    }
  }
}
