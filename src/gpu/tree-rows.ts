// How a draft-tree step (src/model/draft-tree.ts) becomes the kernels' row batches: the node
// records of shaders/prelude.wgsl (`Node`), written once a step into one storage buffer (binding 8),
// and which rows each model runs. The CPU reference engine runs the same step depth first
// (src/model/cpu-engine.ts treeStep); this is its breadth-first, one-batch-per-model layout.
//
// At committed length L (the root, the bonus token, at position L - 1), node n of depth j:
// - main model: verify row n, in slot L - 1 + n at position L - 1 + j, its keys past the committed
//   prefix (positions L .. L - 1 + j) its ancestors' slots; its token at index L - 1 + n of the token
//   buffer, where its drafter's head wrote it.
// - module k (k >= 2): a row for every node of depth 1 .. k - 1 whose subtree reaches depth k, at
//   position L - 1 - k + j (the token k ahead of it is the node's) in slot L - k + (its place); it
//   reads h^(k-1) from module k - 1's row for the node's parent (for a child of the root, module
//   k - 1's sequence row at L - k), and the rows of depth k - 1 draft their node's children. Module 1's
//   sequence row at L - 2 drafts the root's children.
import type { DraftTree } from '../model/draft-tree.ts';

/** u32 words of a Node record (prelude.wgsl: 8 fields, then keys, a vec4: 48 bytes, 16-aligned). */
export const NODE_WORDS = 12;
/** Most keys a tree row sees past its prefix (Node.keys, a vec4): trees of depth <= 4. */
export const NODE_MAX_KEYS = 4;

/** One tree row (or one compaction move: src -> pos). Unset fields are 0. */
export interface NodeRecord {
  pos: number;
  prefix?: number;
  tok?: number;
  src?: number;
  out?: number;
  nOut?: number;
  keys?: number[];
}

/** The per-step node records: `add` a row batch's records, `upload` once before the submit. */
export class NodeRecords {
  readonly buffer: GPUBuffer;
  private readonly words: Uint32Array<ArrayBuffer>;
  private count = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly capacity: number,
  ) {
    this.buffer = device.createBuffer({
      label: 'tree rows',
      size: capacity * NODE_WORDS * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this.words = new Uint32Array(capacity * NODE_WORDS);
  }

  /** Forgets the last step's records. */
  reset(): void {
    this.count = 0;
  }

  /** Appends records; returns the first one's index (a row batch's `nodes`). */
  add(records: readonly NodeRecord[]): number {
    const first = this.count;
    if (first + records.length > this.capacity) throw new RangeError(`tree rows: ${first + records.length} records > ${this.capacity}`);
    records.forEach((r, i) => {
      const keys = r.keys ?? [];
      if (keys.length > NODE_MAX_KEYS)
        throw new RangeError(`a tree row sees at most ${NODE_MAX_KEYS} keys past its prefix, got ${keys.length}`);
      const w = (first + i) * NODE_WORDS;
      this.words.fill(0, w, w + NODE_WORDS);
      this.words.set([r.pos, r.prefix ?? 0, r.tok ?? 0, r.src ?? 0, r.out ?? 0, r.nOut ?? 0], w);
      this.words.set(keys, w + 8);
    });
    this.count += records.length;
    return first;
  }

  /** Writes this step's records (queue-ordered: they land before the next submit). */
  upload(): void {
    if (this.count) this.device.queue.writeBuffer(this.buffer, 0, this.words, 0, this.count * NODE_WORDS);
  }

  destroy(): void {
    this.buffer.destroy();
  }
}

/** Module k's tree rows in a step (k >= 2); module 1 has none (its newest sequence row drafts). */
export interface ModuleTreeRows {
  /** The first slot (and position) of the rows: L - k. Plain rows end just before it. */
  slot0: number;
  rows: NodeRecord[];
  /** Rows from here on draft (their nodes have children): the head's row batch. */
  drafting: number;
  /** The most candidates a drafting row writes. */
  top: number;
}

export interface TreeLayout {
  /** modules[k - 2]: module k's tree rows, k = 2 .. depth. */
  modules: ModuleTreeRows[];
  /** Candidates module 1's newest row writes (the root's children), from token index L on. */
  rootCandidates: number;
  /** Verify rows 1..N (row 0, the root, is a sequence row), in slots L .. L - 1 + N. */
  verify: NodeRecord[];
}

/** The rows of a step of `tree` at committed length `length` (see the header). */
export function treeLayout(tree: DraftTree, length: number): TreeLayout {
  const L = length;
  const nodes = tree.depthOf.map((_, n) => n).slice(1);
  const firstCandidate = (n: number) => L - 1 + tree.children(n)[0];
  // slots[k][n]: module k's slot of node n's row.
  const slots = new Map<number, Map<number, number>>();
  const modules: ModuleTreeRows[] = [];
  for (let k = 2; k <= tree.depth; k++) {
    const mine = nodes.filter((n) => tree.depthOf[n] <= k - 1 && tree.reach[n] >= k);
    const slot0 = L - k;
    const slot = new Map(mine.map((n, i) => [n, slot0 + i]));
    slots.set(k, slot);
    const rows = mine.map((n): NodeRecord => {
      const j = tree.depthOf[n];
      const parent = tree.parent[n - 1];
      const drafts = j === k - 1;
      return {
        pos: L - 1 - k + j,
        prefix: slot0,
        tok: L - 1 + n,
        src: parent === 0 ? slot0 : slots.get(k - 1)!.get(parent)!,
        keys: tree
          .path(n)
          .slice(1)
          .map((a) => slot.get(a)!),
        out: drafts ? firstCandidate(n) : 0,
        nOut: drafts ? tree.children(n).length : 0,
      };
    });
    const drafting = mine.findIndex((n) => tree.depthOf[n] === k - 1);
    const top = Math.max(1, ...mine.slice(drafting).map((n) => tree.children(n).length));
    modules.push({ slot0, rows, drafting, top });
  }
  const verify = nodes.map((n): NodeRecord => ({
    pos: L - 1 + tree.depthOf[n],
    prefix: L,
    tok: L - 1 + n,
    keys: tree
      .path(n)
      .slice(1)
      .map((a) => L - 1 + a),
  }));
  return { modules, rootCandidates: tree.children(0).length, verify };
}
