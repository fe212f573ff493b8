// median (src/gpu/profiler.ts): what T(M) and `npm run profile` report, robust to one slow run.
import { describe, expect, it } from 'vitest';
import { median } from '../../src/model/median.ts';

describe('median', () => {
  it('odd and even counts, any order, one outlier ignored', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 10, 10, 10, 500])).toBe(10);
    expect(median([7])).toBe(7);
  });
  it('leaves its input alone and refuses an empty list', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
    expect(() => median([])).toThrow(RangeError);
  });
});
