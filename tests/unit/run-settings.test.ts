// The rules of a run's draft tree setting, as the controls, the kiosk and the controller apply them.
import { describe, expect, it } from 'vitest';
import { runTreeRows } from '../../src/app/run-settings.ts';
import { TREE_MAX_ROWS } from '../../src/model/draft-tree.ts';

describe('runTreeRows', () => {
  it('0 (the chain) for absent, non-numeric and fewer than two rows; else whole rows up to the most a tree takes', () => {
    for (const chain of [undefined, NaN, -3, 0, 1, 1.9]) expect(runTreeRows(chain), String(chain)).toBe(0);
    expect(runTreeRows(2)).toBe(2);
    expect(runTreeRows(8.7)).toBe(8);
    expect(runTreeRows(99)).toBe(TREE_MAX_ROWS);
  });
});
