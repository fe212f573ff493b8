// The profiler panel in real headless Chromium (WebGPU; SwiftShader without a GPU): one profiled
// MTP step fills the per-kernel table with positive times split by phase, the cost curve T(M)
// for M = 1..4, and the trace export downloads Trace Event Format JSON whose kernel events are
// the profiled kernels. Twice: with the adapter's timestamp-query (Chromium's SwiftShader has it:
// GPU timestamps), and with the feature withheld from the device (the wall-clock fallback).
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TraceEvent } from '../../src/app/trace.ts';
import { readModel } from '../../scripts/node-model.ts';
import { useServerAndChromium } from '../helpers/rig.ts';
import { livePace } from '../helpers/live-pace.ts';

const rig = useServerAndChromium();

const panel = (page: Page, selector = '') => page.locator(`profiler-panel ${selector}`.trim());

/** data-ms of every cell matching `selector` in the panel. */
const msOf = (page: Page, selector: string) =>
  panel(page, selector).evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-ms'))));

describe.each([
  { mode: 'as the adapter offers', withhold: false },
  { mode: 'timestamp-query withheld', withhold: true },
])('the profiler panel, WebGPU on, $mode', ({ withhold }) => {
  it('profiles one MTP step: kernel times by phase, T(M), adapter; exports a Chrome trace', async () => {
    const page = await rig.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    if (withhold)
      await page.addInitScript(() => {
        const request = GPUAdapter.prototype.requestDevice;
        GPUAdapter.prototype.requestDevice = function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
          const requiredFeatures = [...(descriptor?.requiredFeatures ?? [])].filter((f) => f !== 'timestamp-query');
          return request.call(this, { ...descriptor, requiredFeatures });
        };
      });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(livePace(rig.server.url));
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });

    // Collapsed at first; opening it shows the button, enabled once the engines are built.
    await page.locator('race-view details.profiler > summary').click();
    const profile = panel(page, '[data-action="profile"]');
    const exportButton = panel(page, '[data-action="export-trace"]');
    await expect.poll(() => profile.isEnabled()).toBe(true);
    expect(await exportButton.isDisabled()).toBe(true);

    await profile.click();
    await panel(page, 'table.kernels tbody tr').first().waitFor({ timeout: 120_000 });
    await expect.poll(() => profile.isEnabled(), { timeout: 120_000 }).toBe(true);

    // The source says what the times are.
    const source = await panel(page, '[data-source]').getAttribute('data-source');
    expect(['gpu-timestamps', 'wall-clock']).toContain(source);
    const hasTimestamps = (await panel(page, '[data-feature="timestamp-query"]').textContent())?.trim() === 'yes';
    expect(source).toBe(hasTimestamps ? 'gpu-timestamps' : 'wall-clock');
    if (withhold) expect(source).toBe('wall-clock');
    if (source === 'wall-clock') expect(await panel(page, '[data-source]').textContent()).toContain('timestamp-query absent');

    // Kernel rows with positive totals; phases MTP 1 .. MTP D (the page's model's depth), verify.
    const kernels = await panel(page, 'table.kernels tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kernel')));
    expect(kernels.length).toBeGreaterThanOrEqual(5);
    expect(kernels).toEqual(expect.arrayContaining(['qkv', 'attention', 'wo_ffn', 'head', 'mtp_input']));
    const totals = await msOf(page, 'table.kernels tbody td[data-total]');
    expect(totals).toHaveLength(kernels.length);
    for (const ms of totals) expect(ms).toBeGreaterThan(0);
    const phases = await panel(page, 'table.kernels thead th[data-phase]').evaluateAll((th) => th.map((t) => t.getAttribute('data-phase')));
    const depth = readModel().weights.config.mtp_depth;
    expect(phases).toEqual([...Array.from({ length: depth }, (_, k) => `mtp${k + 1}`), 'verify']);
    const phaseTotals = await msOf(page, 'tr[data-phase-totals] td[data-phase]');
    for (const ms of phaseTotals) expect(ms).toBeGreaterThan(0);
    const grand = Number(await panel(page, '[data-total-ms]').getAttribute('data-total-ms'));
    expect(phaseTotals.reduce((a, b) => a + b, 0)).toBeCloseTo(grand, 6);
    expect(totals.reduce((a, b) => a + b, 0)).toBeCloseTo(grand, 6);

    // Dispatches as the engine encoded them: a baseline step is the embedding, three a block and
    // the head (the fused engine's layout); the MTP step adds each module's input, block(s) and head.
    const config = readModel().weights.config;
    const dispatches = (side: string) => panel(page, `[data-dispatches-${side}]`).getAttribute(`data-dispatches-${side}`).then(Number);
    expect(await dispatches('baseline')).toBe(2 + 3 * config.n_layers);
    expect(await dispatches('mtp')).toBe(2 + 3 * config.n_layers + depth * (2 + 3 * config.mtp_layers));

    // The cost curve, M = 1..4.
    const cost = await msOf(page, 'table.cost tbody td[data-ms]');
    expect(cost).toHaveLength(4);
    for (const ms of cost) expect(ms).toBeGreaterThan(0);
    expect(await panel(page, 'dl.adapter').textContent()).toContain('Max storage binding');

    // A second step accumulates; the export holds both.
    await profile.click();
    await expect.poll(() => exportButton.textContent(), { timeout: 120_000 }).toContain('2 steps');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: `test-results/profiler${withhold ? '-wall-clock' : ''}.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
    expect(download.suggestedFilename()).toMatch(/\.trace\.json$/);
    // Saved on the test's side: the shared browser is a remote one, whose downloads have no local path().
    const path = `test-results/profiler${withhold ? '-wall-clock' : ''}.trace.json`;
    await download.saveAs(path);
    const trace = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: TraceEvent[] };
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    const complete = trace.traceEvents.filter((e) => e.ph === 'X');
    for (const e of complete) {
      expect(typeof e.name).toBe('string');
      expect(Number.isFinite(e.ts)).toBe(true);
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
    }
    expect(complete.filter((e) => e.cat === 'step')).toHaveLength(2);
    const kernelEvents = complete.filter((e) => e.cat.startsWith('kernel,'));
    // Every kernel use of both steps is an event (a use of no rows is one too, but no dispatch).
    expect(kernelEvents.length).toBeGreaterThanOrEqual(2 * (await dispatches('mtp')));
    // Kernel time in the trace (µs) equals the table's total for the last step (ms).
    const lastStep = complete.filter((e) => e.cat === 'step')[1];
    const lastKernels = kernelEvents.filter((e) => e.ts >= lastStep.ts);
    expect(lastKernels.reduce((s, e) => s + e.dur!, 0) / 1000).toBeCloseTo(
      Number(await panel(page, '[data-total-ms]').getAttribute('data-total-ms')),
      2,
    );

    expect(errors).toEqual([]);
    await page.close();
  });
});
