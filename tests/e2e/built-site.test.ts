// The built site served under a sub-path, as a host would serve it (`npm run build -- --base
// /mtp-demo/`, any static server): the page loads its scripts and models from under that path only,
// and races with identical greedy texts; after one visit it loads and races offline (its service
// worker keeps the page, the Cache API the models), and a damaged kept model file is replaced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/browser.ts';
import type { RaceResult } from '../../src/app/race-types.ts';
import { modelEntry } from '../../src/model/catalogue.ts';
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

  /** Waits until the page's service worker has kept the page and the model's three files are kept. */
  async function kept(page: Page): Promise<void> {
    await page.waitForFunction(
      async () => {
        await navigator.serviceWorker.ready;
        const count = async (name: string) => (await (await caches.open(name)).keys()).length;
        return (await count('mtp-shell-v1')) >= 3 && (await count('mtp-models-v1')) === 3;
      },
      undefined,
      { timeout: 60_000, polling: 250 },
    );
  }

  const open = async (page: Page) => {
    await page.goto(`${site.url}?model=brown-mtp&tokens=16&pace=live`);
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
  };

  it('a second visit offline loads the model from the cache and races', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await open(page);
    await kept(page);
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
    expect(await page.locator('[data-from-cache]').textContent()).toBe('(from cache)');
    await page.locator('race-controls [data-action="run"]').click();
    await page.waitForSelector('#app[data-state="done"]', { timeout: 180_000 });
    const result = (await page.evaluate(() => window.__raceResult)) as RaceResult;
    expect(result.backend).toBe('webgpu');
    expect(result.mtp.tokens).toEqual(result.baseline.tokens);
    await context.close();
  });

  it('a damaged kept file is detected, downloaded again and replaced', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await open(page);
    await kept(page);
    const url = `${site.url}models/brown-mtp.tokenizer.json`;
    await page.evaluate(async (url) => {
      const cache = await caches.open('mtp-models-v1');
      const bytes = new Uint8Array(await (await cache.match(url))!.arrayBuffer());
      bytes[10] ^= 1;
      await cache.put(url, new Response(bytes));
    }, url);
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(r.url()));
    await page.reload();
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
    expect(fetched.filter((u) => u.includes('/models/'))).toEqual([url]);
    expect(await page.locator('race-view .notices').textContent()).toMatch(/brown-mtp\.tokenizer\.json was stale or damaged/);
    const hash = await page.evaluate(async (url) => {
      const bytes = await (await (await caches.open('mtp-models-v1')).match(url))!.arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    }, url);
    expect(hash).toBe(modelEntry('brown-mtp')!.sha256.tokenizer);
    await context.close();
  });
});
