// The browser benchmark page's options in its address (src/bench/bench-query.ts): what
// scripts/bench-browser.ts writes, the page reads back; bad values are refused with a message.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from '../../src/model/catalogue.ts';
import { BENCH_DEFAULTS, benchQueryString, parseBenchQuery } from '../../src/bench/bench-query.ts';
import { OptionError } from '../../src/decode/run-options.ts';

describe('bench query', () => {
  it('round-trips the options, prompts with any characters included', () => {
    const options = {
      prompts: ['The old man & the sea?', 'Café «naïve» — 東京 🚀', 'a=b+c'],
      tokens: 8,
      depth: 1,
      tree: 12,
      runs: 3,
      costRepeats: 5,
      model: 'brown-mtp',
      noRepeatNgram: 4,
      draftVocab: 'all' as const,
    };
    expect(parseBenchQuery(benchQueryString(options))).toEqual({ ...options, sampling: undefined, golden: false });
    // Trees are greedy only (a sampling query with one is refused, below).
    const sampled = { ...options, tree: undefined, sampling: { temperature: 0.8, topP: 0.95, seed: 12345 } };
    expect(parseBenchQuery(benchQueryString(sampled))).toEqual({ ...sampled, golden: false });
  });

  it('temperature 0 is greedy: top_p and seed are then ignored', () => {
    expect(parseBenchQuery('?temperature=0&top_p=0.5&seed=3').sampling).toBeUndefined();
    expect(parseBenchQuery('?temperature=1').sampling).toEqual({ temperature: 1, topP: 1, seed: 0 });
  });

  it("defaults: no prompts (the page uses the model's prompt file), model depth, the card's no-repeat rule, 48 tokens", () => {
    expect(parseBenchQuery('')).toEqual({
      prompts: [],
      tokens: 48,
      depth: undefined,
      tree: undefined,
      runs: 1,
      costRepeats: 10,
      model: DEFAULT_MODEL,
      noRepeatNgram: undefined,
      sampling: undefined,
      draftVocab: 'model',
      golden: false,
    });
    expect(parseBenchQuery('?ngram=0').noRepeatNgram).toBe(0);
    expect(BENCH_DEFAULTS.tokens).toBe(48);
    expect(parseBenchQuery('?golden').golden).toBe(true);
    expect(parseBenchQuery(benchQueryString({ golden: true })).golden).toBe(true);
  });

  it('refuses bad numbers and model names', () => {
    for (const bad of [
      '?model=no-such-model',
      '?tokens=1',
      '?tokens=abc',
      '?tokens=',
      '?depth=0',
      '?runs=2.5',
      '?cost=-1',
      '?model=../etc/passwd',
      '?temperature=-1',
      '?temperature=hot',
      '?temperature=1&top_p=0',
      '?temperature=1&top_p=1.5',
      '?temperature=1&seed=1.5',
      '?ngram=-1',
      '?ngram=2.5',
      '?tree=17',
      '?tree=-2',
      '?tree=x',
      '?tree=1',
      '?tree=8&temperature=1',
      '?draft_vocab=none',
      '?draft_vocab=',
    ])
      expect(() => parseBenchQuery(bad), bad).toThrow(OptionError);
  });

  it('keeps a prompt as given (indentation is code), dropping only blank ones', () => {
    expect(parseBenchQuery(benchQueryString({ prompts: ['    return x\n', '  ', 'a'] })).prompts).toEqual(['    return x\n', 'a']);
  });
});
