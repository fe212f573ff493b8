// The prompt a run is given (src/decode/prompt.ts, preparePrompt): the boundary token first, max
// tokens clamped to what the context leaves, a long prompt cut to its last tokens but never below
// MIN_PROMPT_SHARE of the context.
import { describe, expect, it } from 'vitest';
import { MIN_PROMPT_SHARE, preparePrompt, promptBudget } from '../../src/decode/prompt.ts';
import { readModel } from '../../scripts/node-model.ts';

const { weights, tokenizer } = readModel();
const maxSeqLen = weights.config.max_seq_len;

describe('preparePrompt', () => {
  const opts = { maxSeqLen, depth: 2, maxTokens: 64 };
  it('puts the boundary token first and keeps a short prompt whole', () => {
    const p = preparePrompt(tokenizer, 'Hello there', opts);
    expect(p.tokens).toEqual([tokenizer.endOfText, ...tokenizer.encode('Hello there')]);
    expect(p.notes).toEqual([]);
    expect(p.maxTokens).toBe(64);
  });
  it('clamps max tokens to what the context leaves after the prompt, never dropping the prompt', () => {
    const hi = tokenizer.encode('Hi');
    for (const maxTokens of [10_000, 1e9, Infinity]) {
      const p = preparePrompt(tokenizer, 'Hi', { ...opts, maxTokens });
      expect(p.tokens).toEqual([tokenizer.endOfText, ...hi]);
      expect(p.maxTokens).toBe(maxSeqLen - 2 - hi.length);
      expect(p.notes.join(' ')).toMatch(new RegExp(`lowered to ${maxSeqLen - 2 - hi.length}: .* the prompt takes ${hi.length + 1}`));
    }
    expect(preparePrompt(tokenizer, 'Hi', { ...opts, maxTokens: 0 }).maxTokens).toBe(1);
  });
  it('a long prompt with a huge max tokens keeps MIN_PROMPT_SHARE of the context', () => {
    const text = 'word '.repeat(600);
    const p = preparePrompt(tokenizer, text, { ...opts, maxTokens: 1e9 });
    const most = promptBudget(maxSeqLen, 2, 1) - 1;
    expect(p.keptTokens).toBe(Math.floor(most * MIN_PROMPT_SHARE));
    expect(p.tokens.slice(1)).toEqual(tokenizer.encode(text).slice(-p.keptTokens));
    expect(p.tokens.length + p.maxTokens + 2 - 1).toBe(maxSeqLen);
    expect(p.notes.join(' ')).toMatch(/kept its last \d+ tokens/);
  });
  it('a prompt exactly at the budget is kept whole', () => {
    const budget = promptBudget(maxSeqLen, 2, 64) - 1;
    const ids = tokenizer.encode('word '.repeat(400)).slice(0, budget);
    const text = tokenizer.decode(ids);
    const p = preparePrompt(tokenizer, text, opts);
    expect(p.keptTokens).toBe(p.textTokens);
    expect(p.tokens.length).toBeLessThanOrEqual(budget + 1);
  });
});
