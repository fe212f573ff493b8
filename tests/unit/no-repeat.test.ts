// The no-repeat n-gram rule (src/decode/no-repeat.ts) and the greedy loop with it: the text has no
// repeated n-gram, the rule is lossless for speculative decoding (depth 1, 2 = baseline), and a draft
// the rule bans is rejected.
import { describe, expect, it } from 'vitest';
import { allowedArgmax, bannedNext } from '../../src/decode/no-repeat.ts';
import { decode } from '../../src/decode/decode-run.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { readModel } from '../../scripts/node-model.ts';

const { weights, tokenizer } = readModel('brown-mtp');
const model = new ReferenceModel(weights);

/** Every n-gram of `seq`, and whether one occurs twice. */
function hasRepeatedNgram(seq: readonly number[], n: number): boolean {
  const seen = new Set<string>();
  for (let i = 0; i + n <= seq.length; i++) {
    const key = seq.slice(i, i + n).join(',');
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

describe('bannedNext', () => {
  it('bans each token that followed an earlier occurrence of the last n - 1 tokens', () => {
    // ... 5 6 7 | 5 6 9 | 5 6 -> next may not be 7 or 9 (n = 3)
    expect([...bannedNext([5, 6, 7, 5, 6, 9, 5, 6], 3)].sort()).toEqual([7, 9]);
    expect([...bannedNext([1, 2, 3, 1, 2], 3)]).toEqual([3]);
    expect([...bannedNext([1, 2, 3, 4], 3)]).toEqual([]);
    // n = 2: the last token's followers.
    expect([...bannedNext([4, 1, 4, 2, 4], 2)].sort()).toEqual([1, 2]);
    // Too short, or n < 2: nothing.
    expect(bannedNext([1, 2], 3).size).toBe(0);
    expect(bannedNext([1, 1, 1], 1).size).toBe(0);
  });
});

describe('allowedArgmax', () => {
  it('the best token outside the banned set, ties to the lowest index', () => {
    const logits = [0.5, 3, 3, 2, -1];
    expect(allowedArgmax(logits, new Set())).toBe(1);
    expect(allowedArgmax(logits, new Set([1]))).toBe(2);
    expect(allowedArgmax(logits, new Set([1, 2]))).toBe(3);
    expect(() => allowedArgmax([1, 2], new Set([0, 1]))).toThrow(RangeError);
  });
});

describe('greedy decoding with the rule, on the CPU engine', () => {
  const prompts = ['The President told a news conference yesterday that the United States would', 'She stood at the window', ''];
  it.each(prompts)('%j: no repeated 3-gram, and depth 1 and 2 reproduce the baseline', async (text) => {
    const prompt = [tokenizer.endOfText, ...tokenizer.encode(text)];
    const run = (depth: number, noRepeatNgram: number) => decode(new CpuEngine(model), prompt, { depth, maxTokens: 48, noRepeatNgram });
    const base = await run(0, 3);
    expect(hasRepeatedNgram([...prompt, ...base.tokens], 3)).toBe(false);
    for (const depth of [1, 2]) expect((await run(depth, 3)).tokens, `depth ${depth}`).toEqual(base.tokens);
    // The rule is what removed the repeats: this model's plain greedy text repeats itself.
    if (text.startsWith('The President')) expect(hasRepeatedNgram([...prompt, ...(await run(0, 0)).tokens], 3)).toBe(true);
  });
});
