// The shape of a draft tree (Medusa, EAGLE, SpecInfer): which candidates of which MTP module a step
// drafts and verifies. The root is the step's first verify row (the last committed token); node n
// (1..N) is the rank[n]-th best candidate of the drafter below its parent: MTP module k drafts the
// children of a node at depth k - 1 (module 1 the root's), from that node's own branch. A chain of
// depth D is the tree of one candidate per depth.
//
// Nodes are numbered breadth-first and siblings by rank, so a node's children are consecutive and a
// node's ancestors come before it: the engines lay verify rows, KV slots and draft tokens out in this
// order (src/gpu/engine.ts, src/model/cpu-engine.ts).
//
// A static shape is chosen from measured figures (`fromCoverage`): p_k(c), how often the main
// model's token is module k's c-th candidate (the model card's teacher-forced top-k coverage). A node
// is on the accepted path with the product of p along its path, and the expected tokens a step
// accepts is the sum of that over the nodes, so the best tree of a row budget takes the nodes of
// highest path probability (children never beat their parent, so the greedy choice is a tree).

/** Most candidates one node's drafter proposes (the coverage the eval measures: top 1..4). */
export const TREE_MAX_RANK = 4;
/** Most verify rows a tree step takes (its root included): what the engines allocate for. */
export const TREE_MAX_ROWS = 16;

export class DraftTree {
  /** depth[n]: node n's depth (0 for the root). */
  readonly depthOf: readonly number[];
  /** Deepest node's depth: the MTP modules a step runs. */
  readonly depth: number;
  /** reach[n]: the deepest depth in node n's subtree, n's own included (module k runs a row for n
   * when reach[n] >= k: n is then on the branch of a node module k drafts below). */
  readonly reach: readonly number[];
  private readonly kids: number[][];

  /**
   * parent[n - 1] and rank[n - 1] of node n = 1..N (parent 0 = the root); checked: breadth-first,
   * each node's children ranked 0, 1, .. in order, at most TREE_MAX_RANK of them.
   */
  constructor(
    readonly parent: readonly number[],
    readonly rank: readonly number[],
  ) {
    if (parent.length !== rank.length)
      throw new RangeError(`a draft tree needs a rank per node: ${parent.length} parents, ${rank.length} ranks`);
    if (parent.length + 1 > TREE_MAX_ROWS)
      throw new RangeError(`a draft tree of ${parent.length} nodes passes ${TREE_MAX_ROWS} verify rows`);
    const depth = [0];
    this.kids = [[]];
    parent.forEach((p, i) => {
      const n = i + 1;
      if (!Number.isInteger(p) || p < 0 || p >= n) throw new RangeError(`node ${n}'s parent ${p} must be an earlier node`);
      if (p < parent[i - 1]) throw new RangeError(`node ${n}: nodes must be breadth-first (parent ${p} after ${parent[i - 1]})`);
      if (rank[i] !== this.kids[p].length)
        throw new RangeError(`node ${n} has rank ${rank[i]}, expected ${this.kids[p].length} (siblings in rank order)`);
      if (rank[i] >= TREE_MAX_RANK) throw new RangeError(`node ${n}: at most ${TREE_MAX_RANK} candidates a node`);
      depth.push(depth[p] + 1);
      this.kids[p].push(n);
      this.kids.push([]);
    });
    this.depthOf = depth;
    this.depth = Math.max(...depth);
    const reach = [...depth];
    for (let n = parent.length; n >= 1; n--) reach[parent[n - 1]] = Math.max(reach[parent[n - 1]], reach[n]);
    this.reach = reach;
  }

  /** The chain of `depth` drafts: one candidate, the argmax, per depth. */
  static chain(depth: number): DraftTree {
    return new DraftTree(
      Array.from({ length: depth }, (_, i) => i),
      Array.from({ length: depth }, () => 0),
    );
  }

  /**
   * The tree of `rows` verify rows (root included) and at most `maxDepth` depths that accepts the
   * most tokens a step, expected from `coverage[k - 1][c]`: the share of the main model's tokens
   * among module k's top c + 1 candidates (cumulative, c = 0..). Ties go to the shallower, earlier node.
   */
  static fromCoverage(coverage: readonly (readonly number[])[], rows: number, maxDepth: number): DraftTree {
    if (!Number.isInteger(rows) || rows < 1 || rows > TREE_MAX_ROWS)
      throw new RangeError(`a draft tree takes 1..${TREE_MAX_ROWS} verify rows, got ${rows}`);
    const depth = Math.min(maxDepth, coverage.length);
    // p[k - 1][c]: module k's c-th candidate is the main model's token.
    const p = coverage.slice(0, depth).map((cum) => cum.slice(0, TREE_MAX_RANK).map((c, i) => Math.max(0, c - (i ? cum[i - 1] : 0))));
    const nodes = [{ parent: -1, rank: 0, depth: 0, prob: 1, kids: 0 }];
    while (nodes.length < rows) {
      let best = -1;
      let bestProb = -1;
      nodes.forEach((m, i) => {
        const next = p[m.depth]?.[m.kids];
        if (next !== undefined && m.prob * next > bestProb) {
          best = i;
          bestProb = m.prob * next;
        }
      });
      if (best < 0) break;
      const m = nodes[best];
      nodes.push({ parent: best, rank: m.kids++, depth: m.depth + 1, prob: bestProb, kids: 0 });
    }
    // Breadth-first (a queue from the root), each node's children in rank order.
    const kids = nodes.map(() => [] as number[]);
    nodes.forEach((m, i) => i && kids[m.parent].push(i));
    const order = [0];
    for (let i = 0; i < order.length; i++) order.push(...kids[order[i]]);
    const place = new Map(order.map((n, i) => [n, i]));
    const drafted = order.slice(1);
    return new DraftTree(
      drafted.map((n) => place.get(nodes[n].parent)!),
      drafted.map((n) => nodes[n].rank),
    );
  }

  /** Draft nodes (the root not counted). */
  get size(): number {
    return this.parent.length;
  }

  /** Node n's children, in rank order. */
  children(n: number): readonly number[] {
    return this.kids[n];
  }

  /** Nodes at depth `d`, in order. */
  level(d: number): number[] {
    return this.depthOf.flatMap((dn, n) => (dn === d ? [n] : []));
  }

  /** Node n's ancestors from the root down, n included. */
  path(n: number): number[] {
    const path = [n];
    while (path[0] !== 0) path.unshift(this.parent[path[0] - 1]);
    return path;
  }

  /** Whether this is a chain (every node the argmax of its parent's drafter). */
  get isChain(): boolean {
    return this.rank.every((r) => r === 0) && this.parent.every((p, i) => p === i);
  }

  /** The shape in brief: candidates per depth, "2-3-2". */
  describe(): string {
    return Array.from({ length: this.depth }, (_, d) => this.level(d + 1).length).join('-');
  }
}

/**
 * Coverage for a model whose card has none: the teacher-forced measurement of a Brown model
 * at brown-mtp's shape (460 steps), top 1..4 of module 1, for every depth.
 */
const FALLBACK_COVERAGE = [0.76, 0.9, 0.94, 0.97];

/** The tree of `rows` verify rows for a model of `depth` modules, shaped by its card's coverage. */
export function draftTreeFor(coverage: readonly (readonly number[])[] | null, rows: number, depth: number): DraftTree {
  return DraftTree.fromCoverage(coverage ?? Array.from({ length: depth }, () => FALLBACK_COVERAGE), rows, depth);
}
