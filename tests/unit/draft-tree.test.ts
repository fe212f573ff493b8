// Draft-tree shapes: the checks of the constructor, the chain, and the choice by measured coverage.
import { describe, expect, it } from 'vitest';
import { DraftTree, TREE_MAX_ROWS } from '../../src/model/draft-tree.ts';
import { topCandidates } from '../../src/model/ops.ts';

/** Expected accepted drafts of a tree: the sum over nodes of the product of p along the path. */
function expectedAccepted(tree: DraftTree, coverage: number[][]): number {
  const p = (d: number, r: number) => coverage[d - 1][r] - (r ? coverage[d - 1][r - 1] : 0);
  return tree.parent.reduce(
    (sum, _, i) =>
      sum +
      tree
        .path(i + 1)
        .slice(1)
        .reduce((q, n) => q * p(tree.depthOf[n], tree.rank[n - 1]), 1),
    0,
  );
}

describe('DraftTree', () => {
  it('a chain is one argmax per depth', () => {
    const chain = DraftTree.chain(3);
    expect(chain.parent).toEqual([0, 1, 2]);
    expect(chain.depth).toBe(3);
    expect(chain.isChain).toBe(true);
    expect(chain.reach).toEqual([3, 3, 3, 3]);
    expect(chain.path(3)).toEqual([0, 1, 2, 3]);
  });

  it('refuses shapes that are not breadth-first with siblings in rank order', () => {
    expect(() => new DraftTree([0, 0, 1, 0], [0, 1, 0, 2])).toThrow(/breadth-first/);
    expect(() => new DraftTree([0, 0], [1, 0])).toThrow(/rank 1, expected 0/);
    expect(() => new DraftTree([1], [0])).toThrow(/earlier node/);
    expect(() => new DraftTree([0, 0, 0, 0, 0], [0, 1, 2, 3, 4])).toThrow(/at most 4 candidates/);
    expect(() => DraftTree.chain(TREE_MAX_ROWS)).toThrow(/verify rows/);
  });

  it('children, levels and reach of a small tree', () => {
    // root -> 1, 2; 1 -> 3, 4; 2 -> 5; 3 -> 6
    const t = new DraftTree([0, 0, 1, 1, 2, 3], [0, 1, 0, 1, 0, 0]);
    expect(t.children(1)).toEqual([3, 4]);
    expect(t.level(2)).toEqual([3, 4, 5]);
    expect(t.reach).toEqual([3, 3, 2, 3, 2, 2, 3]);
    expect(t.describe()).toBe('2-3-1');
    expect(t.isChain).toBe(false);
  });

  const coverage = [
    [0.72, 0.86, 0.91, 0.94],
    [0.71, 0.85, 0.9, 0.93],
    [0.71, 0.85, 0.9, 0.93],
  ];

  it('with a dominant argmax the budget of a chain is the chain', () => {
    expect(
      DraftTree.fromCoverage(
        [
          [0.99, 0.995],
          [0.99, 0.995],
          [0.99, 0.995],
        ],
        4,
        3,
      ).isChain,
    ).toBe(true);
  });

  it('by coverage: no tree of the same rows and depth found by search expects more accepted drafts', () => {
    for (const rows of [2, 4, 6, 8]) {
      const best = DraftTree.fromCoverage(coverage, rows, 3);
      expect(best.size).toBe(rows - 1);
      expect(best.depth).toBeLessThanOrEqual(3);
      const value = expectedAccepted(best, coverage);
      // Every tree of rows - 1 nodes, depth <= 3, at most 4 children a node, grown node by node.
      let most = 0;
      const grow = (parent: number[], rank: number[]) => {
        if (parent.length === rows - 1) {
          most = Math.max(most, expectedAccepted(new DraftTree(parent, rank), coverage));
          return;
        }
        const t = new DraftTree(parent, rank);
        for (let p = parent.at(-1) ?? 0; p <= parent.length; p++)
          if (t.depthOf[p] < 3 && t.children(p).length < 4) grow([...parent, p], [...rank, t.children(p).length]);
      };
      grow([], []);
      expect(value).toBeCloseTo(most, 12);
    }
  });

  it('a budget past what the coverage can fill stops growing', () => {
    expect(DraftTree.fromCoverage([[0.7, 0.8]], 8, 3).size).toBe(2);
  });
});

describe('topCandidates', () => {
  it('orders by value, ties to the lower index, skips NaN and fills with 0', () => {
    expect(topCandidates([1, 3, 3, NaN, 2], 4)).toEqual([1, 2, 4, 0]);
    expect(topCandidates([NaN, 5], 3)).toEqual([1, 0, 0]);
    expect(topCandidates([-0, 0, -1], 2)).toEqual([0, 1]);
  });
});
