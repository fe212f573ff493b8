// The live race in real headless Chromium: WebGPU on (SwiftShader without a GPU) and off (the CPU
// reference engine). Greedy speculative decoding must give the baseline's text, the figures the
// page shows must be the ones its metrics report, and a second Run mid-run must cancel cleanly.
// The model picker switches to the code model: its presets, depth 3, code shown as code.
// SwiftShader is slow: a race is kept to a dozen tokens or fewer (RACE_TOKENS), which takes each side
// through several steps; nothing checked here depends on the length.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RaceResult } from '../../src/app/race-types.ts';
import { decode } from '../../src/decode/decode-run.ts';
import { MODELS, modelEntry } from '../../src/model/catalogue.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { formatPercent, formatRate, formatRatio } from '../../src/ui/format.ts';
import { readModel } from '../../scripts/node-model.ts';
import { launchChromium } from '../../scripts/browser.ts';
import { useServerAndChromium } from '../helpers/rig.ts';
import { recordDevices, destroyDevice, deviceCount } from '../helpers/devices.ts';
import { livePace } from '../helpers/live-pace.ts';

/** Max tokens of a race: every check holds at any length, and each token costs steps on both sides. */
const RACE_TOKENS = 12;

const { weights, tokenizer } = readModel();
const reference = new ReferenceModel(weights);

/** A model's tokenizer and CPU reference: the oracle for its races. */
interface Oracle {
  tokenizer: typeof tokenizer;
  reference: ReferenceModel;
}
const oracle: Oracle = { tokenizer, reference };

/** The shared dev server, and the shared Chromium with WebGPU; the WebGPU-off tests launch their own browser. */
const rig = useServerAndChromium();

interface Opened {
  page: Page;
  errors: string[];
}

/** Opens the page and waits until the engines are built (data-state idle). */
async function openApp(browser: Browser, query = ''): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  await page.goto(livePace(`${rig.server.url}${query}`));
  await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
  return { page, errors };
}

async function setPrompt(page: Page, text: string, maxTokens: number): Promise<void> {
  await page.locator('race-controls textarea').fill(text);
  const max = page.locator('race-controls input[type="number"]');
  await max.fill(String(maxTokens));
  await max.dispatchEvent('change');
}

const clickRun = (page: Page) => page.locator('race-controls [data-action="run"]').click();
const state = (page: Page) => page.getAttribute('#app', 'data-state');
const text = async (page: Page, selector: string) => (await page.locator(selector).textContent()) ?? '';

/** Waits for a finished run (of this prompt, when given: the page may still show an older one). */
async function waitDone(page: Page, prompt?: string): Promise<RaceResult> {
  await page.waitForFunction(
    (text) =>
      document.querySelector<HTMLElement>('#app')?.dataset.state === 'done' && (text === null || window.__raceResult?.prompt.text === text),
    prompt ?? null,
    { timeout: 180_000 },
  );
  const json = await page.getAttribute('#app', 'data-metrics');
  expect(json).toBeTruthy();
  const result = JSON.parse(json!) as RaceResult;
  expect(await page.evaluate(() => window.__raceResult)).toEqual(result);
  return result;
}

/** The CPU reference's greedy tokens for the same prompt tokens, under the page's no-repeat rule (the oracle). */
async function referenceTokens(result: RaceResult, o: Oracle = oracle): Promise<number[]> {
  expect(result.noRepeatNgram).toBeGreaterThan(0);
  const out = await decode(new CpuEngine(o.reference), result.prompt.tokens, {
    depth: 0,
    maxTokens: result.maxTokens,
    endOfText: o.tokenizer.endOfText,
    noRepeatNgram: result.noRepeatNgram,
  });
  return out.tokens;
}

/** Both panes show the same greedy text, which is the reference's, and the figures are the metrics'. */
async function checkFinished(page: Page, result: RaceResult, o: Oracle = oracle): Promise<void> {
  const baseText = await text(page, '[data-output="baseline"]');
  const mtpText = await text(page, '[data-output="mtp"]');
  expect(baseText.length).toBeGreaterThan(0);
  expect(mtpText).toBe(baseText);
  expect(result.baseline.text).toBe(baseText);
  expect(result.mtp.text).toBe(baseText);
  expect(result.mtp.tokens).toEqual(result.baseline.tokens);
  expect(o.tokenizer.decode(result.baseline.tokens)).toBe(baseText);
  expect(result.baseline.tokens).toEqual(await referenceTokens(result, o));
  await checkFigures(page, result);
}

/** The figures the page shows are the ones its metrics report. */
async function checkFigures(page: Page, result: RaceResult): Promise<void> {
  const b = result.baseline.metrics;
  const m = result.mtp.metrics;
  expect(b.steps).toBeGreaterThan(0);
  expect(m.steps).toBeGreaterThan(0);
  expect(m.steps).toBeLessThanOrEqual(b.steps);
  expect(b.tokens + b.prefillTokens).toBe(result.baseline.tokens.length);
  expect(m.tokens + m.prefillTokens).toBe(result.mtp.tokens.length);
  expect(result.speedup).toBeCloseTo(m.tokensPerSecond! / b.tokensPerSecond!, 10);

  const shown = async (name: string) => text(page, `[data-metric="${name}"]`);
  for (const name of ['speedup', 'acceptance', 'baseline-tps', 'mtp-tps'])
    expect(Number.isFinite(Number(await shown(name))), name).toBe(true);
  expect(await shown('baseline-tps')).toBe(formatRate(b.tokensPerSecond));
  expect(await shown('mtp-tps')).toBe(formatRate(m.tokensPerSecond));
  expect(await shown('speedup')).toBe(formatRatio(result.speedup));
  expect(await shown('acceptance')).toBe(formatPercent(m.pooled.rate));
  for (const p of m.acceptance) expect(await shown(`acceptance-${p.position}`)).toBe(formatPercent(p.rate));
}

describe('the race, WebGPU on', () => {
  it('races baseline and MTP to the same text and shows the measured figures', async () => {
    const { page, errors } = await openApp(rig.browser);
    expect(await page.getAttribute('adapter-report', 'data-adapter')).toBeTruthy();
    expect(await text(page, 'race-pane[side="mtp"] [data-engine]')).toMatch(/^WebGPU/);
    expect(await text(page, '[data-metric="speedup"]')).toBe('—');

    await setPrompt(page, 'The President told a news conference yesterday that the United States would', RACE_TOKENS);
    await clickRun(page);
    const result = await waitDone(page);
    expect(result.backend).toBe('webgpu');
    expect(result.depth).toBe(weights.config.mtp_depth); // the model's D, the controls' default
    expect(result.maxTokens).toBe(RACE_TOKENS);
    expect(result.baseline.tokens.length).toBeLessThanOrEqual(RACE_TOKENS);
    await checkFinished(page, result);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/race.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('samples at a temperature: both panes fill with different draws, seeded, and the figures are measured', async () => {
    const { page, errors } = await openApp(rig.browser);
    await setPrompt(page, 'In the years after the war, the small college in the valley', RACE_TOKENS);
    await page.locator('race-controls input[type="range"]').evaluate((el: HTMLInputElement) => {
      el.value = '0.8';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(await text(page, 'race-controls [data-temperature]')).toBe('0.8 · sampling');
    await clickRun(page);
    const result = await waitDone(page);
    expect(result.temperature).toBe(0.8);
    expect(Number.isInteger(result.seed)).toBe(true);
    for (const side of ['baseline', 'mtp'] as const) {
      const shown = await text(page, `[data-output="${side}"]`);
      expect(shown.length).toBeGreaterThan(0);
      expect(result[side].text).toBe(shown);
      expect(tokenizer.decode(result[side].tokens)).toBe(shown);
      expect(result[side].tokens.every((t) => Number.isInteger(t) && t >= 0 && t < tokenizer.vocabSize)).toBe(true);
    }
    expect(await text(page, 'race-view .status')).toContain(`seed ${result.seed}`);
    await checkFigures(page, result);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a second Run mid-run cancels the first cleanly and runs the new prompt (any Unicode)', async () => {
    const { page, errors } = await openApp(rig.browser);
    await setPrompt(page, 'The city council voted Tuesday night to approve the new budget', 60);
    await clickRun(page);
    // Let the first run get going, then run again with another prompt.
    await page.waitForFunction(
      () => {
        const out = document
          .querySelector('race-view')
          ?.shadowRoot?.querySelector('race-pane[side="mtp"]')
          ?.shadowRoot?.querySelector('[data-output]');
        return (out?.textContent ?? '').length > 0;
      },
      undefined,
      { timeout: 120_000 },
    );
    expect(await state(page)).toBe('running');
    const second = 'Café «naïve» — 東京 🚀 and then she said';
    await setPrompt(page, second, 8);
    await clickRun(page);
    await clickRun(page); // and once more at once: still one run at a time, ending with this prompt
    const result = await waitDone(page);
    expect(result.prompt.text).toBe(second);
    expect(result.prompt.tokens).toEqual([tokenizer.endOfText, ...tokenizer.encode(second)]);
    expect(result.maxTokens).toBe(8);
    await checkFinished(page, result);
    expect(await page.locator('race-view .notices li.error').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the picker switches from prose (kjv-mtp) to python-mtp: its presets, depth 3, code as code, and a greedy race with identical texts', async () => {
    const { page, errors } = await openApp(rig.browser, '?model=kjv-mtp');
    const python = readModel('python-mtp');
    const entry = modelEntry('python-mtp')!;
    const picker = page.locator('race-controls model-picker select');
    // The catalogue, in order, the loaded model chosen.
    expect(await picker.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(
      MODELS.map((m) => m.name),
    );
    expect(await picker.inputValue()).toBe('kjv-mtp');
    const look = (selector: string) =>
      page.locator(selector).evaluate((el) => {
        const style = getComputedStyle(el);
        return { fontFamily: style.fontFamily, whiteSpace: style.whiteSpace, tabSize: style.tabSize };
      });
    expect((await look('race-pane[side="mtp"] .text')).fontFamily).toMatch(/serif/);

    // Watch the status line while the new model loads (every state the page renders).
    await page.evaluate(() => {
      const status = document.querySelector('race-view')!.shadowRoot!.querySelector('.status')!;
      const seen: string[] = [];
      (window as unknown as { __statusSeen: string[] }).__statusSeen = seen;
      new MutationObserver(() => {
        const text = (status.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (seen[seen.length - 1] !== text) seen.push(text);
      }).observe(status, { subtree: true, childList: true, characterData: true });
    });
    await picker.selectOption('python-mtp');
    // Its first preset is in the prompt box at once.
    expect(await page.locator('race-controls textarea').inputValue()).toBe(entry.presets[0].text);
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#app')?.dataset.state === 'idle' && window.__race?.view().model?.name === 'python-mtp',
      undefined,
      {
        timeout: 120_000,
      },
    );
    const seen = await page.evaluate(() => (window as unknown as { __statusSeen: string[] }).__statusSeen);
    console.log(`status while switching: ${JSON.stringify(seen)}`);
    expect(seen.some((line) => line.includes(`Loading ${entry.title} (python-mtp):`))).toBe(true);
    expect(await picker.inputValue()).toBe('python-mtp');
    expect(await page.locator('race-controls .presets button').allTextContents()).toEqual(entry.presets.map((p) => p.label));
    // Depth: 1..D, D by default.
    const depth = page.locator('race-controls select[aria-label="Draft depth"]');
    expect(python.weights.config.mtp_depth).toBe(3);
    expect(await depth.locator('option').allTextContents()).toEqual(['1', '2', '3']);
    expect(await depth.inputValue()).toBe('3');
    // The card's no-repeat rule, in words.
    expect(await text(page, 'race-view [data-no-repeat]')).toContain(`never repeats a ${python.decoding.noRepeatNgram}-gram`);
    // Code as code: monospace, whitespace kept, tabs of 4, in both panes and the prompt box.
    for (const selector of ['race-pane[side="baseline"] .text', 'race-pane[side="mtp"] .text', 'race-controls textarea']) {
      const style = await look(selector);
      expect(style.fontFamily, selector).toMatch(/monospace/);
      expect(style.whiteSpace, selector).toBe('pre-wrap');
      expect(style.tabSize, selector).toBe('4');
    }

    // A multi-line prompt (the preset, with its newlines and indentation), greedy, depth 3.
    const prompt = entry.presets[0].text;
    expect(prompt).toContain('\n    ');
    await setPrompt(page, prompt, 8);
    await clickRun(page);
    const result = await waitDone(page, prompt);
    expect(result.backend).toBe('webgpu');
    expect(result.depth).toBe(3);
    expect(result.temperature).toBe(0);
    expect(result.noRepeatNgram).toBe(python.decoding.noRepeatNgram);
    expect(result.prompt.tokens).toEqual([python.tokenizer.endOfText, ...python.tokenizer.encode(prompt)]);
    expect(result.mtp.metrics.acceptance.map((a) => a.position)).toEqual([1, 2, 3]);
    await checkFinished(page, result, { tokenizer: python.tokenizer, reference: new ReferenceModel(python.weights) });
    // The pane shows the prompt as typed, newlines and indentation kept.
    expect(await text(page, 'race-pane[side="mtp"] .prompt')).toBe(prompt);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/race-python.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a draft tree of 8 rows (python-mtp): the same text, the tree pictured in the MTP pane, acceptance per depth among the candidates', async () => {
    const { page, errors } = await openApp(rig.browser, '?model=python-mtp');
    const python = readModel('python-mtp');
    const prompt = modelEntry('python-mtp')!.presets[1].text;
    await setPrompt(page, prompt, RACE_TOKENS);
    await page.locator('race-controls select[aria-label="Draft tree"]').selectOption('8');
    await clickRun(page);
    const result = await waitDone(page, prompt);
    expect(result.tree?.rows).toBe(8);
    expect(result.tree?.shape).toMatch(/^\d+-\d+-\d+$/);
    await checkFinished(page, result, { tokenizer: python.tokenizer, reference: new ReferenceModel(python.weights) });
    // The last tree step: seven candidates over three depths, the kept ones green, as many as it says.
    const tree = page.locator('race-pane[side="mtp"] [data-tree]');
    expect(await tree.locator('.cand').count()).toBe(7);
    const kept = Number(await tree.locator('[data-tree-kept]').textContent());
    expect(await tree.locator('.cand.kept').count()).toBe(kept);
    expect(await text(page, 'race-pane[side="mtp"] .sub')).toContain('a draft tree a step (8 rows');
    expect((await page.locator('race-figures p.note').allTextContents()).join(' ')).toContain("that depth's candidates");
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/race-tree.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a lost device: the page says so and rebuilds the engines on a new device at the next Run', async () => {
    const page = await rig.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Keep a handle on every device the page creates, to lose one from outside.
    await page.addInitScript(recordDevices);
    await page.goto(livePace(rig.server.url));
    await page.waitForSelector('#app[data-state="idle"]', { timeout: 120_000 });
    await destroyDevice(page, 0);
    await page.waitForFunction(
      () => document.querySelector('race-view')?.shadowRoot?.querySelector('.notices')?.textContent?.includes('lost'),
      undefined,
      {
        timeout: 30_000,
      },
    );
    expect(await page.getAttribute('adapter-report', 'state')).toBe('error');
    const prompt = 'The jury said';
    await setPrompt(page, prompt, 8);
    await clickRun(page);
    const result = await waitDone(page, prompt);
    expect(await deviceCount(page)).toBe(2);
    expect(result.backend).toBe('webgpu');
    expect(await page.getAttribute('adapter-report', 'state')).toBe('done');
    await checkFinished(page, result);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the race, WebGPU off', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('says WebGPU is unavailable and runs the race on the CPU reference engine, labelled', async () => {
    const { page, errors } = await openApp(browser);
    const report = await page.locator('adapter-report').evaluate((el) => el.shadowRoot?.textContent?.replace(/\s+/g, ' ') ?? '');
    expect(report).toContain('WebGPU is not available');
    expect(await text(page, 'race-view .notices')).toContain('WebGPU is unavailable');
    expect(await text(page, 'race-pane[side="baseline"] [data-engine]')).toBe('CPU reference engine');
    expect(await text(page, 'race-pane[side="mtp"] [data-engine]')).toBe('CPU reference engine');

    // An empty prompt: the model starts from the document boundary alone, and the page says so.
    await setPrompt(page, '', RACE_TOKENS);
    await page.locator('race-controls textarea').press('Enter');
    const result = await waitDone(page);
    expect(result.backend).toBe('cpu');
    expect(result.prompt.tokens).toEqual([tokenizer.endOfText]);
    expect(await text(page, 'race-view .notices')).toContain('Empty prompt');
    await checkFinished(page, result);
    await page.screenshot({ path: 'test-results/race-cpu.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
