// The CPU reference engine (DecodeEngine of decode-engine.ts on reference.ts): the oracle of the GPU
// engine in the tests, and the page's engine where there is no WebGPU.
import type { ModelConfig } from './config.ts';
import {
  checkSampling,
  checkUniform,
  type DecodeEngine,
  type PrefillSampling,
  type StepResult,
  type StepSampling,
  type TreeStepResult,
} from './decode-engine.ts';
import { DecodeState } from './decode-state.ts';
import type { DraftTree } from './draft-tree.ts';
import { argmax, sampleIndex, samplingDistribution, topCandidates } from './ops.ts';
import { ReferenceModel, type ModelCache } from './reference.ts';

/**
 * The engine on the CPU reference: slow, but the same mechanics, so the demo still shows
 * speculative decoding without WebGPU, and the decode loop can be tested against it.
 */
export class CpuEngine implements DecodeEngine {
  readonly name = 'CPU reference (no WebGPU)';
  readonly config: ModelConfig;
  private readonly state: DecodeState;
  private cache: ModelCache;
  /** hidden[k][pos]: h^k at each position (k = 0 main, k >= 1 MTP module k). */
  private hidden: Float32Array[][];
  /** Logits of the last step: main verify rows, each module's row at the newest position. */
  lastLogits: { main: Float32Array[]; mtp: Float32Array[] } = { main: [], mtp: [] };
  /** After a tree step: each node's main-model KV rows (per layer) and h^0, for the path a commit keeps. */
  private treeRows: { k: Float32Array[]; v: Float32Array[]; hidden: Float32Array }[] = [];

  constructor(private readonly model: ReferenceModel) {
    this.config = model.config;
    this.state = new DecodeState(model.config.mtp_depth, model.config.max_seq_len);
    this.cache = model.newCache();
    this.hidden = Array.from({ length: model.config.mtp_depth + 1 }, () => []);
  }

  get length(): number {
    return this.state.tokens.length;
  }

  async prefill(prompt: readonly number[], depth: number, sampling?: PrefillSampling): Promise<number> {
    this.state.reset(prompt, depth);
    this.cache = this.model.newCache();
    this.treeRows = [];
    let logits: Float32Array = new Float32Array();
    prompt.forEach((t, pos) => {
      const out = this.model.main(this.cache, t, pos);
      this.hidden[0][pos] = out.hidden;
      logits = out.logits;
    });
    for (let k = 1; k <= depth; k++) for (let i = 0; i + k < prompt.length; i++) this.runMtp(k, i, prompt[i + k]);
    this.lastLogits = { main: [logits], mtp: [] };
    if (!sampling) return argmax(logits);
    checkSampling(sampling);
    checkUniform(sampling.uniform);
    return sampleIndex(samplingDistribution(logits, sampling.temperature, sampling.topP), sampling.uniform);
  }

  async step(depth: number, sampling?: StepSampling): Promise<StepResult> {
    const plan = this.state.planStep(depth);
    if (sampling) {
      checkSampling(sampling);
      if (sampling.uniforms.length < depth) throw new RangeError(`a sampling step of depth ${depth} needs ${depth} uniforms`);
      sampling.uniforms.slice(0, depth).forEach(checkUniform);
    }
    const dist = (logits: Float32Array) => samplingDistribution(logits, sampling!.temperature, sampling!.topP);
    const p: Float32Array[] = [];
    const q: Float32Array[] = [];
    const tokens = this.state.tokens;
    const drafts: number[] = [];
    this.lastLogits = { main: [], mtp: [] };
    const tokenAt = (pos: number) => (pos < tokens.length ? tokens[pos] : drafts[pos - tokens.length]);
    plan.mtp.forEach(({ from, to }, k0) => {
      const k = k0 + 1;
      let logits: Float32Array = new Float32Array();
      for (let i = from; i <= to; i++) logits = this.runMtp(k, i, tokenAt(i + k));
      // Module k at the newest position drafts position length + k - 1.
      if (sampling) {
        const qk = dist(logits);
        drafts.push(sampleIndex(qk, sampling.uniforms[k0]));
        q.push(Float32Array.from(qk));
      } else drafts.push(argmax(logits));
      this.lastLogits.mtp.push(logits);
    });
    const verified: number[] = [];
    for (let j = 0; j <= depth; j++) {
      const pos = plan.verifyFrom + j;
      const out = this.model.main(this.cache, tokenAt(pos), pos);
      this.hidden[0][pos] = out.hidden;
      verified.push(argmax(out.logits));
      if (sampling) p.push(Float32Array.from(dist(out.logits)));
      this.lastLogits.main.push(out.logits);
    }
    this.state.stepRan(drafts);
    return sampling ? { drafts, verified, p, q } : { drafts, verified };
  }

  /**
   * A draft-tree step (DecodeEngine.treeStep), depth first: when a branch's node runs, the KV slots
   * before its position hold exactly its ancestors (a sibling's subtree only wrote later positions),
   * so plain causal attention is the tree mask here, an oracle independent of the GPU's.
   * At a node of depth j, module k > j runs its row for the node at position length - 1 - k + j
   * (the token k ahead of it is the node's), from module k - 1's row for the node's parent; module
   * j + 1's row drafts the node's children. Module 1's newest row (plain) drafts the root's.
   */
  async treeStep(tree: DraftTree): Promise<TreeStepResult> {
    const plan = this.state.planTree(tree);
    const committed = this.state.tokens;
    const L = committed.length;
    const tokens = new Array<number>(tree.size).fill(0);
    const tokenOf = (n: number) => (n === 0 ? committed[L - 1] : tokens[n - 1]);
    // Catch-up: module k over the positions whose token k ahead is committed; module 1's last drafts.
    let rootDrafter: Float32Array = new Float32Array();
    plan.mtp.forEach(({ from }, k0) => {
      const k = k0 + 1;
      for (let i = from; i <= L - 1 - k; i++) {
        const logits = this.runMtp(k, i, committed[i + k]);
        if (k === 1) rootDrafter = logits;
      }
    });
    const draft = (n: number, logits: Float32Array) => {
      const best = topCandidates(logits, tree.children(n).length);
      tree.children(n).forEach((c, i) => (tokens[c - 1] = best[i]));
    };
    draft(0, rootDrafter);
    const visitModules = (n: number) => {
      const j = tree.depthOf[n];
      if (n > 0)
        for (let k = j + 1; k <= tree.reach[n]; k++) {
          const logits = this.runMtp(k, L - 1 - k + j, tokenOf(n));
          if (k === j + 1) draft(n, logits);
        }
      for (const c of tree.children(n)) visitModules(c);
    };
    visitModules(0);

    this.lastLogits = { main: [], mtp: [] };
    this.treeRows = [];
    const verified: number[] = [];
    const d = this.config.d_model;
    const visitMain = (n: number) => {
      const pos = L - 1 + tree.depthOf[n];
      const out = this.model.main(this.cache, tokenOf(n), pos);
      this.hidden[0][pos] = out.hidden;
      verified[n] = argmax(out.logits);
      this.lastLogits.main[n] = out.logits;
      const row = (a: Float32Array) => a.slice(pos * d, (pos + 1) * d);
      this.treeRows[n] = { k: this.cache.main.map((c) => row(c.k)), v: this.cache.main.map((c) => row(c.v)), hidden: out.hidden };
      for (const c of tree.children(n)) visitMain(c);
    };
    visitMain(0);
    this.state.treeRan(tree, tokens);
    return { tokens, verified };
  }

  commit(tokens: readonly number[]): void {
    const L = this.state.tokens.length;
    const path = this.state.commit(tokens);
    if (this.treeRows.length === 0) return; // a chain's verify rows are in place already
    // The accepted path's KV and h^0 back in place (a later branch of the tree wrote over them).
    const d = this.config.d_model;
    path.forEach((n, i) => {
      const pos = L + i;
      const saved = this.treeRows[n];
      this.cache.main.forEach((c, layer) => {
        c.k.set(saved.k[layer], pos * d);
        c.v.set(saved.v[layer], pos * d);
      });
      this.hidden[0][pos] = saved.hidden;
    });
    this.treeRows = [];
  }

  async mainLogits(row: number): Promise<Float32Array> {
    const logits = this.lastLogits.main[row];
    if (!logits) throw new RangeError(`no main logits row ${row} in the last step`);
    return logits;
  }

  private runMtp(k: number, pos: number, tokenAhead: number): Float32Array {
    const out = this.model.mtp(k, this.cache, this.hidden[k - 1][pos], tokenAhead, pos);
    this.hidden[k][pos] = out.hidden;
    return out.logits;
  }
}
