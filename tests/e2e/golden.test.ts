// The GPU engine in real headless Chromium (WebGPU; SwiftShader without a GPU) against the
// PyTorch goldens that training/export.py wrote: the same check as tests/unit/reference.test.ts
// makes of the CPU reference, on the browser's WebGPU. The page is bench.html in golden mode,
// which exposes the engine probes of src/bench/bench-engine.ts on window.__golden.
//
// Rows available from the engine (each probe costs a prefill):
// - a prefill of ids[0..p] gives the main model's argmax and logits at position p;
// - a step at q (prompt ids[0..q], ids[q + 1] committed) gives MTP module 1's logits at q
//   (teacher-forced), the main model's at q + 1 (verify row 0), and module 2's at q, which is
//   teacher-forced only where module 1's draft at q is the true token ids[q + 2] (the golden
//   module-1 argmax says where). The engine writes module 1's draft into the token module 2
//   reads and keeps logits for the newest position only, so module 2's stored rows are
//   comparable only there: on the goldens shipped now, at none of them (module 2 is checked
//   against the CPU reference, drafts included, in tests/gpu/engine.test.ts).
// Only the small cases (12 and 48 tokens): SwiftShader is slow. Module 3 (python-mtp) is checked
// against the CPU reference, drafts included, in tests/gpu/models.test.ts.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { PrefillProbe, StepProbe } from '../../src/bench/bench-engine.ts';
import { useServerAndChromium } from '../helpers/rig.ts';

interface GoldenHead {
  argmax: number[];
  logits: Record<string, number[]>;
}
interface GoldenCase {
  name: string;
  ids: number[];
  main: GoldenHead;
  mtp: (GoldenHead & { k: number })[];
}
/** brown-mtp (4 layers, D = 2) and python-mtp (12 layers, D = 3, a draft vocabulary); kjv-mtp's shape is python-mtp's. */
const MODELS = ['brown-mtp', 'python-mtp'];
const casesOf = (model: string): GoldenCase[] =>
  (JSON.parse(readFileSync(new URL(`../fixtures/${model}.golden.json`, import.meta.url), 'utf8')) as { cases: GoldenCase[] }).cases.filter(
    (c) => c.ids.length <= 48,
  );

/** GPU float32 against PyTorch float32: as in tests/gpu/engine.test.ts against the reference. */
const LOGIT_TOLERANCE = 1e-3;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const rig = useServerAndChromium();

describe.each(MODELS)('%s', (model) => {
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    page = await rig.browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${rig.server.url}bench.html?golden&model=${model}`);
    await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 120_000 });
    expect(await page.evaluate(() => window.__benchError)).toBeUndefined();
  });
  afterAll(async () => {
    await page?.close();
  });

  const prefill = (ids: number[]) => page.evaluate((ids) => window.__golden!.prefill(ids), ids) as Promise<PrefillProbe>;
  const step = (prefix: number[], next: number, depth: number) =>
    page.evaluate(([prefix, next, depth]) => window.__golden!.step(prefix, next, depth), [
      prefix,
      next,
      depth,
    ] as const) as Promise<StepProbe>;

  describe.each(casesOf(model))('golden case $name on WebGPU in Chromium', (c) => {
    const n = c.ids.length;

    it('the prefill gives the main model argmax at its last position and the stored logits rows', async () => {
      const last = await prefill(c.ids);
      expect(last.argmax).toBe(c.main.argmax[n - 1]);
      const positions = Object.keys(c.main.logits).map(Number);
      expect(positions).toContain(n - 1);
      for (const p of positions) {
        const probe = p === n - 1 ? last : await prefill(c.ids.slice(0, p + 1));
        expect(probe.argmax, `argmax at ${p}`).toBe(c.main.argmax[p]);
        expect(maxAbsDiff(probe.logits, c.main.logits[String(p)]), `main logits at ${p}`).toBeLessThan(LOGIT_TOLERANCE);
      }
    });

    it("a decode step gives the MTP modules' stored rows (teacher-forced) and the verify row", async () => {
      const [m1, m2] = [1, 2].map((k) => c.mtp.find((h) => h.k === k)!);
      const at = (h: GoldenHead, q: number) => h.logits[String(q)] as number[] | undefined;
      // Module 2's row at q is comparable where module 1 drafts the true token there.
      const m2Usable = (q: number) => at(m2, q) !== undefined && m1.argmax[q] === c.ids[q + 2];
      const qs = [...new Set([...Object.keys(m1.logits), ...Object.keys(m2.logits)].map(Number))]
        .filter((q) => q + 1 < n)
        .sort((a, b) => a - b);
      let checked = 0;
      for (const q of qs) {
        const probe = await step(c.ids.slice(0, q + 1), c.ids[q + 1], 2);
        expect(probe.drafts[0], `module 1 draft at ${q}`).toBe(m1.argmax[q]);
        const row1 = at(m1, q);
        if (row1) {
          expect(maxAbsDiff(probe.mtp[0], row1), `module 1 logits at ${q}`).toBeLessThan(LOGIT_TOLERANCE);
          checked++;
        }
        if (m2Usable(q)) {
          expect(probe.drafts[1], `module 2 draft at ${q}`).toBe(m2.argmax[q]);
          expect(maxAbsDiff(probe.mtp[1], at(m2, q)!), `module 2 logits at ${q}`).toBeLessThan(LOGIT_TOLERANCE);
          checked++;
        }
        // Verify row 0 is the main model at q + 1 with the true token.
        expect(probe.verified[0], `verify argmax at ${q + 1}`).toBe(c.main.argmax[q + 1]);
        const mainRow = at(c.main, q + 1);
        if (mainRow) expect(maxAbsDiff(probe.main[0], mainRow), `verify logits at ${q + 1}`).toBeLessThan(LOGIT_TOLERANCE);
      }
      expect(checked).toBeGreaterThanOrEqual(2);
    });

    it('left no page errors', () => {
      expect(errors).toEqual([]);
    });
  });
});
