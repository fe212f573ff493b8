// Slow motion in the page (headless Chromium, WebGPU on SwiftShader): a race shown at a fixed
// factor lasts, on screen, its measured decode time x the factor shown in both panes, within a
// frame or two; live, the tokens appear while the race is computed and no factor is shown.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RaceResult } from '../../src/app/race-types.ts';
import { useServerAndChromium } from '../helpers/rig.ts';

const rig = useServerAndChromium();

/**
 * Opens the page with `query`, records in the page when #app[data-state] turns 'running' and 'done'
 * and how many characters the baseline pane shows at each render, clicks Run and waits for 'done'.
 */
async function race(query: string): Promise<{ page: Page; result: RaceResult; shownMs: number; growth: number[] }> {
  const page = await rig.browser.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __states: { state: string; at: number; chars: number }[] };
    w.__states = [];
    new MutationObserver(() => {
      const state = document.getElementById('app')?.dataset.state ?? '';
      const pane = document.querySelector('race-view')?.shadowRoot?.querySelector('race-pane[side="baseline"]');
      const chars = pane?.shadowRoot?.querySelector('[data-output="baseline"]')?.textContent?.length ?? 0;
      const last = w.__states.at(-1);
      if (last?.state !== state || last.chars !== chars) w.__states.push({ state, at: performance.now(), chars });
    }).observe(document, { subtree: true, attributes: true, childList: true, characterData: true });
  });
  await page.goto(`${rig.server.url}${query}`);
  await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
  await page.locator('race-controls [data-action="run"]').click();
  await page.waitForSelector('#app[data-state="done"]', { timeout: 180_000 });
  const result = (await page.evaluate(() => window.__raceResult)) as RaceResult;
  const states = await page.evaluate(() => (window as unknown as { __states: { state: string; at: number; chars: number }[] }).__states);
  const running = states.find((s) => s.state === 'running')!;
  const done = states.find((s) => s.state === 'done')!;
  const growth = states.filter((s) => s.state === 'running').map((s) => s.chars);
  return { page, result, shownMs: done.at - running.at, growth };
}

describe('slow motion', () => {
  it('shows a race at its measured time x the factor it says', async () => {
    const factor = 8;
    const { page, result, shownMs } = await race(`?model=brown-mtp&tokens=12&pace=${factor}`);
    const measured = Math.max(result.baseline.metrics.decodeMs, result.mtp.metrics.decodeMs);
    // The replay ends when the slower side's last step is due (its measured time x the factor after
    // the replay started, just before 'running' was drawn); 'done' is drawn at the next frame. Two
    // frames at 60 Hz are 33 ms; the rest of the margin is a timer's lateness on a loaded 2-core machine.
    expect(shownMs).toBeGreaterThan(measured * factor - 50);
    expect(shownMs).toBeLessThan(measured * factor + 120);
    for (const side of ['baseline', 'mtp'])
      expect(await page.locator(`race-pane[side="${side}"] [data-slow-motion="${factor}"]`).textContent()).toMatch(
        new RegExp(`slow motion ×${factor} · measured \\d+\\.\\d+ s`),
      );
    await page.close();
  });

  it('live: the text grows while the race is computed, with no factor shown', async () => {
    const { page, result, growth } = await race('?model=brown-mtp&tokens=24&pace=live');
    // Shown before the end: several renders with some text but less than the whole, each more than the last.
    const partial = growth.filter((chars) => chars > 0 && chars < result.baseline.text.length);
    expect(partial.length).toBeGreaterThan(1);
    expect(growth).toEqual([...growth].sort((a, b) => a - b));
    expect(await page.locator('[data-slow-motion]').count()).toBe(0);
    await page.close();
  });
});
