// The built site served under a sub-path, as a host would serve it (`npm run build -- --base
// /mtp-demo/`, any static server): the page loads its scripts and models from under that path only,
// and races with identical greedy texts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../scripts/browser.ts';
import type { RaceResult } from '../../src/app/race-types.ts';
import { startBuiltSite, type BuiltSite } from '../helpers/built-site.ts';

const BASE = '/mtp-demo/';
let site: BuiltSite;
let browser: Browser;
beforeAll(async () => {
  site = await startBuiltSite(BASE);
  browser = await launchChromium({ webgpu: true });
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('the built site under a sub-path', () => {
  it('races, with every request under the sub-path', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site.url}?model=brown-mtp&tokens=16&pace=live`);
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
    await page.locator('race-controls [data-action="run"]').click();
    await page.waitForSelector('#app[data-state="done"]', { timeout: 180_000 });
    const result = (await page.evaluate(() => window.__raceResult)) as RaceResult;
    expect(result.backend).toBe('webgpu');
    expect(result.mtp.tokens).toEqual(result.baseline.tokens);
    expect(result.baseline.tokens.length).toBeGreaterThan(0);
    expect(requests.filter((p) => p.startsWith(`${BASE}models/brown-mtp.`)).length).toBeGreaterThanOrEqual(3);
    expect(requests.filter((p) => !p.startsWith(BASE))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
