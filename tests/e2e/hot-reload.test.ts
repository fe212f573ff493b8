// Hot reload under `npm run dev` (a dev server that watches the files, as `vite` does): saving a
// shader rebuilds the engines in place from the new source, on a new device, with no page reload;
// saving a UI file reloads the page (Vite's default). "Saving" here only touches the file (its
// modification time; the content stays, and the time is put back after), which is what Vite's
// watcher reacts to.
import { statSync, utimesSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../scripts/browser.ts';
import { useServerAndChromium } from '../helpers/rig.ts';
import { recordDevices } from '../helpers/devices.ts';
import { livePace } from '../helpers/live-pace.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const rig = useServerAndChromium({ hmr: true });

/** Touches a file of the project (as a save would), and puts its times back afterwards. */
async function touched<T>(file: string, body: () => Promise<T>): Promise<T> {
  const path = `${ROOT}${file}`;
  const before = statSync(path);
  const now = new Date();
  utimesSync(path, now, now);
  try {
    return await body();
  } finally {
    utimesSync(path, before.atime, before.mtime);
  }
}

async function open(browser = rig.browser): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.addInitScript(recordDevices);
  await page.goto(livePace(rig.server.url));
  await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
  // Survives a hot update, not a page reload.
  await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 1));
  return { page, errors, requests };
}

const marker = (page: Page) => page.evaluate(() => (window as unknown as { __marker?: number }).__marker);
const noticeText = (page: Page) =>
  page.evaluate(() => document.querySelector('race-view')?.shadowRoot?.querySelector('.notices')?.textContent ?? '');

describe('hot reload, dev server watching', () => {
  it('a shader edit rebuilds the engines from the new source on a new device, without reloading the page', async () => {
    const { page, errors, requests } = await open();
    const seen = requests.length;
    await touched('shaders/head.wgsl', async () => {
      await page.waitForFunction(
        () => document.querySelector('race-view')?.shadowRoot?.querySelector('.notices')?.textContent?.includes('Engines rebuilt'),
        undefined,
        {
          timeout: 120_000,
        },
      );
    });
    expect(await marker(page)).toBe(1);
    expect(await page.getAttribute('#app', 'data-state')).toBe('idle');
    // The shader module was fetched again (a fresh module, with Vite's timestamp), and the engines
    // were built on a second device, the first one destroyed.
    expect(requests.slice(seen).some((u) => u.includes('/shaders/head.wgsl') && /[?&]t=\d+/.test(u))).toBe(true);
    const devices = await page.evaluate(async () => {
      const list = (window as unknown as { __devices: GPUDevice[] }).__devices;
      const lost = await Promise.race([
        list[0].lost.then((info) => info.reason),
        new Promise((r) => setTimeout(() => r('not lost'), 2000)),
      ]);
      return { count: list.length, firstLost: lost };
    });
    expect(devices).toEqual({ count: 2, firstLost: 'destroyed' });
    expect(await noticeText(page)).not.toContain('lost');

    // The rebuilt engines race.
    await page.locator('race-controls textarea').fill('The jury said');
    const max = page.locator('race-controls input[type="number"]');
    await max.fill('6');
    await max.dispatchEvent('change');
    await page.locator('race-controls [data-action="run"]').click();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#app')?.dataset.state === 'done', undefined, {
      timeout: 120_000,
    });
    const result = await page.evaluate(() => window.__raceResult!);
    expect(result.backend).toBe('webgpu');
    expect(result.mtp.text).toBe(result.baseline.text);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a UI edit reloads the page', async () => {
    // The reload is Vite's and the page's, whatever the backend: in a browser without WebGPU the page
    // is ready (on its CPU engine) without building GPU engines, before the edit and after the reload.
    const cpuOnly = await launchChromium({ webgpu: false });
    onTestFinished(() => cpuOnly.close());
    const { page, errors } = await open(cpuOnly);
    await touched('src/ui/format.ts', async () => {
      await page.waitForFunction(() => (window as unknown as { __marker?: number }).__marker === undefined, undefined, { timeout: 60_000 });
    });
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
    expect(errors).toEqual([]);
    await page.close();
  });
});
