// The first page in real headless Chromium: with WebGPU on it reports an adapter (SwiftShader on a
// machine without a GPU); with WebGPU off it says so plainly, with advice. Either way the page ends
// up ready for the race (#app data-state 'idle'; without WebGPU, on the CPU reference engine), and
// the report's own state says whether a device was found.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/browser.ts';
import { useServerAndChromium } from '../helpers/rig.ts';
import { livePace } from '../helpers/live-pace.ts';

/** The shared dev server, and the shared Chromium with WebGPU; the WebGPU-off test launches its own browser. */
const rig = useServerAndChromium();

/** Opens the page, waits until #app leaves 'loading', and fails on any uncaught page error. */
async function openApp(browser: Browser): Promise<{ page: Page; state: string | null; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(livePace(rig.server.url));
  await page.waitForSelector('#app:not([data-state="loading"])', { timeout: 60_000 });
  return { page, state: await page.getAttribute('#app', 'data-state'), errors };
}

describe('adapter report, WebGPU on', () => {
  it('finds an adapter and shows it', async () => {
    const { page, state, errors } = await openApp(rig.browser);
    expect(await page.title()).toBe('MTP speculative decoding on WebGPU');
    expect(state).toBe('idle');
    expect(await page.getAttribute('adapter-report', 'state')).toBe('done');
    const adapter = await page.getAttribute('adapter-report', 'data-adapter');
    expect(adapter?.trim()).toBeTruthy();
    // The element's shadow root shows the adapter and its features (playwright's CSS locators pierce it).
    expect(await page.locator('adapter-report h2').textContent()).toContain(adapter!);
    expect(await page.locator('adapter-report .features li').count()).toBe(3);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/adapter.png', fullPage: true });
    expect(errors).toEqual([]);
  });
});

describe('adapter report, WebGPU off', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('says plainly that WebGPU is unavailable, and why', async () => {
    const { page, state, errors } = await openApp(browser);
    expect(state).toBe('idle');
    expect(await page.getAttribute('adapter-report', 'state')).toBe('error');
    expect(await page.getAttribute('adapter-report', 'data-adapter')).toBeNull();
    // The report renders in the element's shadow root; data-state is set once it has rendered.
    const text = await page.locator('adapter-report').evaluate((el) => el.shadowRoot?.textContent?.replace(/\s+/g, ' ') ?? '');
    expect(text).toContain('WebGPU is not available');
    // Chromium on Linux exposes navigator.gpu but offers no adapter without --enable-unsafe-webgpu.
    expect(text).toMatch(/\((no-adapter|no-webgpu)\)/);
    expect(text).toContain('--enable-unsafe-webgpu');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/adapter-unavailable.png', fullPage: true });
    expect(errors).toEqual([]);
  });
});
