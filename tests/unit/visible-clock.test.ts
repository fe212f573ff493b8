// The step clock stops while the page is hidden; waitVisible waits for the page to show again.
import { describe, expect, it } from 'vitest';
import { VisibleClock, type VisibilitySource } from '../../src/app/visible-clock.ts';

function page(hidden = false) {
  const listeners = new Set<() => void>();
  const source: VisibilitySource & { hidden: boolean; set(hidden: boolean): void } = {
    hidden,
    addEventListener: (_, l) => void listeners.add(l),
    removeEventListener: (_, l) => void listeners.delete(l),
    set(h: boolean) {
      this.hidden = h;
      for (const l of listeners) l();
    },
  };
  return { source, listeners };
}

describe('VisibleClock', () => {
  it('counts visible time only', () => {
    let t = 1000;
    const { source } = page();
    const clock = new VisibleClock(source, () => t);
    const start = clock.now();
    t += 50;
    source.set(true);
    t += 10_000;
    expect(clock.now() - start).toBe(50);
    source.set(false);
    t += 25;
    expect(clock.now() - start).toBe(75);
  });

  it('starts stopped on a hidden page', () => {
    let t = 0;
    const { source } = page(true);
    const clock = new VisibleClock(source, () => t);
    const start = clock.now();
    t += 500;
    expect(clock.now()).toBe(start);
    source.set(false);
    t += 5;
    expect(clock.now() - start).toBe(5);
  });

  it('waitVisible resolves at once while visible, else when shown or aborted', async () => {
    const { source, listeners } = page();
    const clock = new VisibleClock(source, () => 0);
    await clock.waitVisible();
    source.set(true);
    let shown = false;
    const waiting = clock.waitVisible().then(() => (shown = true));
    await Promise.resolve();
    expect(shown).toBe(false);
    source.set(false);
    await waiting;
    expect(shown).toBe(true);

    source.set(true);
    const abort = new AbortController();
    const aborted = clock.waitVisible(abort.signal);
    abort.abort();
    await aborted;
    clock.dispose();
    expect(listeners.size).toBe(0);
  });
});
