// The browser benchmark page's options in its address (src/app/bench-query.ts): what
// scripts/bench_browser.ts writes, the page reads back; bad values are refused with a message.
import { describe, expect, it } from 'vitest';
import { BENCH_DEFAULTS, BenchQueryError, benchQueryString, parseBenchQuery, promptLines } from '../../src/app/bench-query.ts';

describe('bench query', () => {
  it('round-trips the options, prompts with any characters included', () => {
    const options = { prompts: ['The old man & the sea?', 'Café «naïve» — 東京 🚀', 'a=b+c'], tokens: 8, depth: 1, runs: 3, costRepeats: 5, model: 'brown-mtp' };
    expect(parseBenchQuery(benchQueryString(options))).toEqual({ ...options, golden: false });
  });

  it('defaults: no prompts (the page uses scripts/bench_prompts.txt), model depth, 48 tokens', () => {
    expect(parseBenchQuery('')).toEqual({ prompts: [], tokens: 48, depth: undefined, runs: 1, costRepeats: 10, model: 'brown-mtp', golden: false });
    expect(BENCH_DEFAULTS.tokens).toBe(48);
    expect(parseBenchQuery('?golden').golden).toBe(true);
    expect(parseBenchQuery(benchQueryString({ golden: true })).golden).toBe(true);
  });

  it('refuses bad numbers and model names', () => {
    for (const bad of ['?tokens=1', '?tokens=abc', '?tokens=', '?depth=0', '?runs=2.5', '?cost=-1', '?model=../etc/passwd'])
      expect(() => parseBenchQuery(bad), bad).toThrow(BenchQueryError);
  });

  it('reads prompt files one a line, blank lines skipped', () => {
    expect(promptLines('one\n\n  two  \r\n')).toEqual(['one', 'two']);
  });
});
