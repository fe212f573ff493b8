// Faults a visitor can hit, in real headless Chromium on the dev server: a WebGPU request that never
// settles (a hung driver), a model file the server does not have (404, or the HTML page Vite answers
// with status 200 for an unknown path), and a corrupt one. A hang falls back to the CPU reference
// engine once the deadline passes (src/gpu/device.ts), saying which request hung; a model error
// names the file, and the adapter report does not blame the GPU for it. A download cut short or
// stalled by a loopback server names the file (at the stall deadline), and model picks made faster
// than the page renders end on the last one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/browser.ts';
import { useServerAndChromium } from '../helpers/rig.ts';
import { DEFAULT_MODEL, MODELS } from '../../src/model/catalogue.ts';
import { DOWNLOAD_STALL_MS } from '../../src/app/backend.ts';
import { useModelServer, type Fault } from '../helpers/model-server.ts';
import { WEBGPU_REQUEST_DEADLINE_MS } from '../../src/gpu/device.ts';
import { livePace } from '../helpers/live-pace.ts';

const rig = useServerAndChromium();

const shadowText = (page: Page, selector: string) =>
  page.evaluate((s) => {
    const view = document.querySelector('race-view')?.shadowRoot;
    const el = s === 'race-view' ? view : (view?.querySelector(s)?.shadowRoot ?? view?.querySelector(s));
    return (el?.textContent ?? '').replace(/\s+/g, ' ');
  }, selector);

async function open(setup: (page: Page) => Promise<unknown>, browser = rig.browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await setup(page);
  await page.goto(livePace(rig.server.url));
  await page.waitForSelector('#app[data-state="idle"], #app[data-state="error"]', { timeout: WEBGPU_REQUEST_DEADLINE_MS + 120_000 });
  return { page, errors };
}

/**
 * Pages whose WebGPU request never settles or whose model does not load: side by side
 * (describe.concurrent), each in its own page, since most of their time is a deadline's wait (the
 * WebGPU request's, the download stall's) and none of them builds GPU engines.
 */
describe.concurrent('pages that fail to load', () => {
  describe('a WebGPU request that never settles', () => {
    it.each([
      [
        'requestAdapter()',
        () => {
          GPU.prototype.requestAdapter = () => new Promise(() => {});
        },
      ],
      [
        'requestDevice()',
        () => {
          GPUAdapter.prototype.requestDevice = () => new Promise(() => {});
        },
      ],
    ])('%s: after the deadline the page says so and races on the CPU', async (call, hang) => {
      const { page, errors } = await open((p) => p.addInitScript(hang));
      expect(await page.getAttribute('#app', 'data-state')).toBe('idle');
      expect(await page.getAttribute('adapter-report', 'state')).toBe('error');
      const report = await page.locator('adapter-report').evaluate((el) => el.shadowRoot?.textContent?.replace(/\s+/g, ' ') ?? '');
      expect(report).toContain(`${call} did not answer within ${WEBGPU_REQUEST_DEADLINE_MS / 1000} s`);
      expect(report).toContain('(hung)');
      expect(await shadowText(page, '.notices')).toContain('CPU reference engine');
      // And the race runs there.
      await page.locator('race-controls').locator('[data-action="run"]').click();
      await page.waitForSelector('#app[data-state="done"]', { timeout: 120_000 });
      const result = JSON.parse((await page.getAttribute('#app', 'data-metrics'))!);
      expect(result.backend).toBe('cpu');
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe('a model file that is missing or corrupt', () => {
    const file = (suffix: string) => `${DEFAULT_MODEL}${suffix}`;
    const serve =
      (suffix: string, body: Buffer | string, status = 200, contentType = 'application/octet-stream') =>
      (p: Page) =>
        p.route(`**/models/${file(suffix)}`, (r) => r.fulfill({ status, contentType, body }));
    it.each([
      [
        'weights answered 404',
        '.safetensors',
        serve('.safetensors', 'Not Found', 404, 'text/plain'),
        /safetensors: not found \(HTTP 404\)/,
      ],
      [
        'weights answered with an HTML page',
        '.safetensors',
        serve('.safetensors', '<!doctype html><p>app</p>', 200, 'text/html'),
        /safetensors: not found \(the server answered with an HTML page\)/,
      ],
      ['corrupt weights', '.safetensors', serve('.safetensors', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])), /safetensors: /],
      [
        'tokenizer not JSON',
        '.tokenizer.json',
        serve('.tokenizer.json', '{"type": "byte-bpe", ', 200, 'application/json'),
        /tokenizer\.json: not valid JSON/,
      ],
    ])('%s: the error names the file, and the GPU is not blamed', async (_, suffix, route, want) => {
      const { page, errors } = await open(route);
      expect(await page.getAttribute('#app', 'data-state')).toBe('error');
      const notices = await shadowText(page, '.notices');
      expect(notices).toMatch(want);
      expect(notices).toContain(file(suffix));
      expect(await page.getAttribute('adapter-report', 'state')).toBe('skipped');
      const report = await page.locator('adapter-report').evaluate((el) => el.shadowRoot?.textContent ?? '');
      expect(report).not.toContain('WebGPU is not available');
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe('downloads a network breaks (a loopback server that cuts or stalls one file)', () => {
    const faults = useModelServer();
    /** The page's request for `file` is answered by the fault server, which breaks it as `fault` says. */
    const broken = (file: string, fault: Fault) => (p: Page) => {
      faults.faults.set(file, fault); // one file a test: the tests run side by side
      return p.route(`**/models/${file}`, (r) => r.continue({ url: `${faults.base}/${file}` }));
    };

    it('a tokenizer cut short (full content-length, half the body, socket closed) is named', async () => {
      const file = `${DEFAULT_MODEL}.tokenizer.json`;
      const { page, errors } = await open(broken(file, { kind: 'truncate' }));
      expect(await page.getAttribute('#app', 'data-state')).toBe('error');
      const notices = await shadowText(page, '.notices');
      expect(notices).toContain(`Could not load the model ${DEFAULT_MODEL}: /models/${file}: `);
      expect(notices).toMatch(/broke off after \d+ bytes|cut short/);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('weights that stop after 1 kB end at the stall deadline with a message naming the file', async () => {
      const file = `${DEFAULT_MODEL}.safetensors`;
      const t0 = Date.now();
      const { page, errors } = await open(broken(file, { kind: 'stall', afterBytes: 1024 }));
      expect(await page.getAttribute('#app', 'data-state')).toBe('error');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(DOWNLOAD_STALL_MS);
      expect(await shadowText(page, '.notices')).toContain(
        `/models/${file}: the download stalled (no data for ${DOWNLOAD_STALL_MS / 1000} s, after 1024 bytes)`,
      );
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});

describe('the max tokens field', () => {
  // Its subject is the controls and the prompt's budget, not the GPU: in a browser without WebGPU the
  // page runs on its CPU engine, with no GPU engines to build first.
  let cpuOnly: Browser;
  beforeAll(async () => {
    cpuOnly = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await cpuOnly?.close();
  });

  it('restores the default for no number, lowers a huge one, and a huge one never drops the prompt', async () => {
    const { page, errors } = await open(async () => {}, cpuOnly);
    const field = page.locator('race-controls input[aria-label="Max tokens"]');
    const note = page.locator('race-controls .field-note');
    const setField = (value: string) =>
      field.evaluate((el, v) => {
        const input = el as HTMLInputElement;
        input.value = v;
        input.dispatchEvent(new Event('change', { bubbles: true }));
      }, value);
    for (const bad of ['', '1e400']) {
      await setField(bad);
      await expect.poll(() => note.textContent()).toMatch(/Max tokens must be a number from 2 to \d+: back to 64\./);
      expect(await field.inputValue()).toBe('64');
    }
    await setField('1000000000');
    await expect.poll(() => note.textContent()).toMatch(/Max tokens lowered to (\d+): the context allows no more\./);
    const cap = Number(await field.inputValue());
    expect(cap).toBeGreaterThan(64);
    await page.locator('race-controls [data-action="run"]').click();
    await page.waitForSelector('#app[data-state="running"], #app[data-state="done"]', { timeout: 60_000 });
    // The whole preset is kept (it is far shorter than half the context) and max tokens is lowered instead.
    const text = await shadowText(page, '.notices');
    expect(text).toMatch(/Max tokens lowered to \d+: the context has \d+ positions and the prompt takes \d+ of them\./);
    expect(text).not.toMatch(/kept its last/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('model picks', () => {
  it('back and forth between two renders (A -> B -> A): the last pick wins, in the page, the picker and the next run', async () => {
    const { page, errors } = await open(async () => {});
    const other = MODELS.find((m) => m.name !== DEFAULT_MODEL)!.name;
    // Two picks in one task, so that the page cannot render between them: the picker's `selected`
    // still says DEFAULT_MODEL when the second pick (back to it) comes.
    await page.locator('model-picker').evaluate(
      (el, [a, b]) => {
        const select = el.shadowRoot!.querySelector('select')!;
        for (const name of [a, b]) {
          select.value = name;
          select.dispatchEvent(new Event('change', { bubbles: true }));
        }
      },
      [other, DEFAULT_MODEL],
    );
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
    expect(await page.locator('model-picker').evaluate((el) => el.shadowRoot!.querySelector('select')!.value)).toBe(DEFAULT_MODEL);
    await page.locator('race-controls [data-action="run"]').click();
    await page.waitForSelector('#app[data-state="running"]', { timeout: 60_000 });
    // Picks 0.1-0.5 s apart while the run goes and while the next model downloads, CPU throttled 4x.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const picker = page.locator('model-picker select');
    for (const [name, ms] of [
      [other, 100],
      [DEFAULT_MODEL, 400],
      [other, 200],
      [DEFAULT_MODEL, 100],
      [other, 0],
    ] as const) {
      await picker.selectOption(name);
      if (ms) await page.waitForTimeout(ms);
    }
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 180_000 });
    expect(await picker.inputValue()).toBe(other);
    // The next run only has to show the model it ran on: a few tokens.
    const max = page.locator('race-controls input[aria-label="Max tokens"]');
    await max.fill('8');
    await max.dispatchEvent('change');
    await page.locator('race-controls [data-action="run"]').click();
    await page.waitForSelector('#app[data-state="done"]', { timeout: 180_000 });
    const view = await page.evaluate(() => window.__race!.view());
    expect(view.model?.name).toBe(other);
    expect(view.selectedModel).toBe(other);
    expect(errors).toEqual([]);
    await page.close();
  });
});
