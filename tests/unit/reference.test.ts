// The CPU reference forward of every shipped model against the golden fixtures that PyTorch wrote
// at export (training/export.py), and the KV cache's roll-back property.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argmax } from '../../src/model/ops.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { forwardWindow } from '../../src/model/teacher-forced.ts';
import { readModel } from '../../scripts/node-model.ts';
import { MODELS } from '../../src/model/catalogue.ts';

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
const goldenOf = (name: string): { cases: GoldenCase[] } =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}.golden.json`, import.meta.url), 'utf8'));

/**
 * Float32 PyTorch (OpenBLAS) and the float64-accumulating reference differ by rounding
 * only; logits here reach about +-20, and 1e-4 absolute is about 5 float32 ulps of that.
 */
const LOGIT_TOLERANCE = 1e-4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.each(MODELS.map((m) => m.name))('%s', (name) => {
  const model = new ReferenceModel(readModel(name).weights);
  describe.each(goldenOf(name).cases)('golden case $name', (c) => {
    const out = forwardWindow(model, c.ids);

    it('main logits match PyTorch on the stored rows, argmax on every position', () => {
      for (const [pos, row] of Object.entries(c.main.logits))
        expect(maxAbsDiff(out.mainLogits[Number(pos)], row), `position ${pos}`).toBeLessThan(LOGIT_TOLERANCE);
      expect(out.mainLogits.map(argmax)).toEqual(c.main.argmax);
    });

    it.each(c.mtp)('MTP module $k logits match PyTorch', (head) => {
      const rows = out.mtpLogits[head.k - 1];
      expect(rows.length).toBe(c.ids.length - head.k);
      for (const [pos, row] of Object.entries(head.logits))
        expect(maxAbsDiff(rows[Number(pos)], row), `position ${pos}`).toBeLessThan(LOGIT_TOLERANCE);
      expect(rows.map(argmax)).toEqual(head.argmax);
    });
  });
});

const model = new ReferenceModel(readModel('brown-mtp').weights);
const golden = goldenOf('brown-mtp');

describe('KV cache roll-back', () => {
  it('a position processed again with another token leaves no trace of the first one', () => {
    const ids = golden.cases[1].ids.slice(0, 10);
    const fresh = model.newCache();
    let expected: Float32Array = new Float32Array();
    ids.forEach((t, pos) => (expected = model.main(fresh, t, pos).logits));

    const cache = model.newCache();
    ids.slice(0, 6).forEach((t, pos) => model.main(cache, t, pos));
    // A rejected draft at positions 6 and 7, then the true tokens from position 6 on.
    model.main(cache, (ids[6] + 1) % model.config.vocab_size, 6);
    model.main(cache, (ids[7] + 5) % model.config.vocab_size, 7);
    let got: Float32Array = new Float32Array();
    ids.slice(6).forEach((t, i) => (got = model.main(cache, t, 6 + i).logits));
    expect(Array.from(got)).toEqual(Array.from(expected));
  });

  it('rejects positions outside the context and unknown token ids', () => {
    const cache = model.newCache();
    expect(() => model.main(cache, 1, model.config.max_seq_len)).toThrow(/outside the context/);
    expect(() => model.main(cache, model.config.vocab_size, 0)).toThrow(/outside/);
  });
});
