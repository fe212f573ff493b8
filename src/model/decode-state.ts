// Position bookkeeping shared by the GPU and CPU engines (no model code): which positions the main
// model and each MTP module have computed, what a step must compute, and what a commit keeps.
// The protocol it keeps is the one of decode-engine.ts. A chain step is the tree step of a chain
// (DraftTree.chain): the drafts are its nodes 1..depth.
import { DraftTree } from './draft-tree.ts';

export class DecodeState {
  /** Committed tokens. */
  tokens: number[] = [];
  /** Last position the main model processed with committed tokens (-1: none). */
  mainValid = -1;
  /** Last position the most recent main pass processed (committed or drafted input). */
  mainProcessed = -1;
  /** mtpNext[k - 1]: first position module k has to (re)compute. */
  mtpNext: number[];
  /** The last step's tree and its nodes' tokens, which its verify block read after the bonus token. */
  private drafted: { tree: DraftTree; tokens: number[] } | undefined;
  constructor(
    private readonly mtpDepth: number,
    private readonly maxSeqLen: number,
  ) {
    this.mtpNext = new Array(mtpDepth).fill(0);
  }

  reset(prompt: readonly number[], depth: number): void {
    if (prompt.length === 0) throw new RangeError('the prompt must hold at least one token');
    if (prompt.length > this.maxSeqLen) throw new RangeError(`prompt of ${prompt.length} tokens exceeds the context (${this.maxSeqLen})`);
    this.checkDepth(depth);
    this.tokens = [...prompt];
    this.drafted = undefined;
    this.mainProcessed = prompt.length - 1;
    this.mainValid = prompt.length - 1;
    // Module k runs at positions 0..length-1-k (their token i + k is in the prompt).
    this.mtpNext = this.mtpNext.map((_, k0) => (k0 < depth ? Math.max(0, prompt.length - (k0 + 1)) : 0));
  }

  /** Positions each MTP module computes in a step of `depth` drafts: [from, to] inclusive. */
  planStep(depth: number): { verifyFrom: number; mtp: { from: number; to: number }[] } {
    this.checkDepth(depth);
    const length = this.tokens.length;
    if (this.mainValid !== length - 2) throw new Error('step() needs exactly one uncommitted-by-the-main-model token; call commit() first');
    if (length + depth > this.maxSeqLen)
      throw new RangeError(`a step of depth ${depth} at length ${length} would pass the context (${this.maxSeqLen})`);
    const q = this.mainValid;
    const mtp = [];
    for (let k = 1; k <= depth; k++) mtp.push({ from: this.mtpNext[k - 1], to: q });
    return { verifyFrom: q + 1, mtp };
  }

  /** planStep for a tree step, which also needs a KV slot per node: rows length - 1 .. length - 1 + N. */
  planTree(tree: DraftTree): { verifyFrom: number; mtp: { from: number; to: number }[] } {
    const plan = this.planStep(tree.depth);
    if (this.tokens.length + tree.size > this.maxSeqLen)
      throw new RangeError(`a tree of ${tree.size} nodes at length ${this.tokens.length} would pass the context (${this.maxSeqLen})`);
    return plan;
  }

  /** Records that a chain step ran, with the drafts its verify block read. */
  stepRan(drafts: readonly number[]): void {
    this.treeRan(DraftTree.chain(drafts.length), drafts);
  }

  /** Records that a tree step ran, with its nodes' tokens (tokens[n - 1]: node n's). */
  treeRan(tree: DraftTree, tokens: readonly number[]): void {
    const depth = tree.depth;
    const length = this.tokens.length;
    this.drafted = { tree, tokens: [...tokens] };
    this.mainProcessed = length - 1 + depth;
    // Module k saw true tokens up to position length - 1, so positions <= length - 1 - k are final
    // (none yet while the sequence is shorter than k + 1: it starts again from position 0).
    for (let k = 1; k <= depth; k++) this.mtpNext[k - 1] = Math.max(0, length - k);
  }

  /**
   * Commits the tokens of a path of the last step's tree (none after a prefill), then one more.
   * Returns the path's nodes (node n's verify row and KV slot: length - 1 + n before the commit),
   * which the engine moves to the positions they now hold.
   */
  commit(newTokens: readonly number[]): number[] {
    if (newTokens.length === 0) throw new RangeError('commit needs at least one token');
    const depth = this.drafted?.tree.depth ?? 0;
    if (newTokens.length > depth + 1)
      throw new RangeError(`commit of ${newTokens.length} tokens after ${depth} drafts: at most the drafts plus one token`);
    // The verify block computed the main model on the tree's nodes: only a path of them can be accepted.
    const path: number[] = [];
    newTokens.slice(0, -1).forEach((t, i) => {
      const { tree, tokens } = this.drafted!;
      const child = tree.children(path.at(-1) ?? 0).find((n) => tokens[n - 1] === t);
      if (child === undefined) throw new RangeError(`committed token ${i} (${t}) is not a draft the main model verified there`);
      path.push(child);
    });
    if (this.tokens.length + newTokens.length > this.maxSeqLen + 1) throw new RangeError('commit would pass the context');
    this.drafted = undefined;
    this.tokens.push(...newTokens);
    this.mainValid = Math.min(this.mainProcessed, this.tokens.length - 2);
    return path;
  }

  private checkDepth(depth: number): void {
    if (!Number.isInteger(depth) || depth < 0 || depth > this.mtpDepth)
      throw new RangeError(`draft depth ${depth} is outside 0..${this.mtpDepth}`);
  }
}
