// The one table of run options: limits, kinds and the message for a bad value; and the page's lenient rules.
import { describe, expect, it } from 'vitest';
import { narrowed, OptionError, parseOption, RUN_OPTIONS, runTreeRows, type RunOptionName } from '../../src/decode/run-options.ts';
import { TREE_MAX_ROWS } from '../../src/model/draft-tree.ts';

describe('run options', () => {
  it('takes a value at each limit and refuses one past it, naming the option', () => {
    for (const [name, spec] of Object.entries(RUN_OPTIONS) as [RunOptionName, (typeof RUN_OPTIONS)[RunOptionName]][]) {
      if (!('minExclusive' in spec)) expect(parseOption(name, String(spec.min)), name).toBe(spec.min);
      expect(parseOption(name, String(spec.max)), name).toBe(spec.max);
      if (Number.isSafeInteger(spec.max + 1))
        expect(() => parseOption(name, String(spec.max + 1)), name).toThrow(new RegExp(`^${name} must be`));
      for (const bad of ['', ' ', 'abc', 'NaN', '1e400', 'Infinity'])
        expect(() => parseOption(name, bad), `${name}=${bad}`).toThrow(OptionError);
    }
  });

  it('integers must be whole; top-p excludes 0', () => {
    expect(() => parseOption('tokens', '2.5')).toThrow('tokens must be an integer in 2..4096, got "2.5"');
    expect(parseOption('temperature', '0.5')).toBe(0.5);
    expect(() => parseOption('top-p', '0')).toThrow('top-p must be in (0, 1], got "0"');
    expect(() => parseOption('seed', '1.5')).toThrow('seed must be an integer, got "1.5"');
  });

  it('a label and a narrowed maximum change only the message and the limit', () => {
    expect(() => parseOption('top-p', '2', undefined, 'top_p')).toThrow(/^top_p must be in \(0, 1\]/);
    expect(() => parseOption('depth', '4', narrowed('depth', 3))).toThrow('depth must be an integer in 1..3, got "4"');
    expect(narrowed('depth', 99).max).toBe(RUN_OPTIONS.depth.max);
  });
});

describe('runTreeRows', () => {
  it('0 (the chain) for absent, non-numeric and fewer than two rows; else whole rows up to the most a tree takes', () => {
    for (const chain of [undefined, NaN, -3, 0, 1, 1.9]) expect(runTreeRows(chain), String(chain)).toBe(0);
    expect(runTreeRows(2)).toBe(2);
    expect(runTreeRows(8.7)).toBe(8);
    expect(runTreeRows(99)).toBe(TREE_MAX_ROWS);
  });
});
