// The contract between the decode loop and an inference engine (the WebGPU engine in
// src/gpu, or the CPU reference engine below), and the bookkeeping both share.
//
// State: `length` tokens are committed (positions 0..length-1). Between steps the main
// model has processed every committed token but the last one, the "bonus" (the main
// model's own next token, or a sampled one). One step:
//   1. MTP catch-up: module k runs over every position whose input token became known since
//      it last ran; at the newest position the chain drafts tokens length .. length+depth-1.
//   2. Verify: the main model runs on [bonus, draft_1, .., draft_depth] and reports its
//      argmax at each of those positions.
// Sampling (a `sampling` argument; temperature > 0): each module draws its draft from its own
// distribution q_k (temperature, then top-p) by inverse CDF at a uniform the caller supplies, and the
// step also returns the verify rows' distributions p_j and the q_k, for the accept / resample rule
// (src/decode/sampling.ts). Without it the step is greedy, exactly as before.
// The caller then commits the accepted drafts plus one more token; positions beyond them
// are rolled back (they are recomputed, and their KV slots overwritten, before any read).
import type { ModelConfig } from './config.ts';
import { argmax, sampleIndex, samplingDistribution } from './ops.ts';
import { ReferenceModel, type ModelCache } from './reference.ts';

export interface StepResult {
  /** Drafted tokens for positions length .. length + depth - 1. */
  drafts: number[];
  /** Main model's argmax at each verify position: row j predicts position length + j. */
  verified: number[];
  /** Sampling steps only: p[j] (j = 0..depth), the main model's sampling distribution at verify row j. */
  p?: Float32Array[];
  /** Sampling steps only: q[k - 1] (k = 1..depth), the distribution module k drew its draft from. */
  q?: Float32Array[];
}

/** How tokens are sampled: softmax(logits / temperature), cut to its top-p nucleus and renormalised
 * (src/model/ops.ts samplingDistribution). temperature > 0; 0 < topP <= 1 (1: no cut). */
export interface SamplingParams {
  temperature: number;
  topP: number;
}

/** A step's sampling: the setting and, per draft, the uniform in [0, 1) its module draws it at
 * (uniforms[k - 1] for module k; float32 values, so both engines draw at the same point). */
export interface StepSampling extends SamplingParams {
  uniforms: readonly number[];
}

/** A prefill's sampling: the first token is drawn from the main model's distribution at `uniform`. */
export interface PrefillSampling extends SamplingParams {
  uniform: number;
}

export interface DecodeEngine {
  readonly config: ModelConfig;
  /** Human-readable name ("CPU reference", the adapter's description, ...). */
  readonly name: string;
  /** Committed tokens. */
  readonly length: number;
  /** Clears all state and runs the prompt through the main model (and the MTP modules up to
   * `depth` over the positions whose next tokens are known). Returns the main model's argmax
   * after the prompt (with `sampling`: a token drawn from its distribution); nothing is committed
   * beyond the prompt until `commit`. */
  prefill(prompt: readonly number[], depth: number, sampling?: PrefillSampling): Promise<number>;
  /** One draft-and-verify step with `depth` drafts (0 = plain decoding); with `sampling`, drafts are
   * drawn (not argmax) and the result carries p and q. */
  step(depth: number, sampling?: StepSampling): Promise<StepResult>;
  /** Commits tokens after a prefill or a step: the accepted drafts, then one final token. */
  commit(tokens: readonly number[]): void;
  /** The main model's logits at row `row` of the last step's verify block (0..depth), or of the
   * prefill's last position (row 0): for the rare token the no-repeat rule turns down. */
  mainLogits(row: number): Promise<Float32Array>;
}

/** Position bookkeeping shared by the engines (no model code). */
export class DecodeState {
  /** Committed tokens. */
  tokens: number[] = [];
  /** Last position the main model processed with committed tokens (-1: none). */
  mainValid = -1;
  /** Last position the most recent main pass processed (committed or drafted input). */
  mainProcessed = -1;
  /** mtpNext[k - 1]: first position module k has to (re)compute. */
  mtpNext: number[];
  /** Drafts of the last step, which its verify block read after the bonus token. */
  private drafts: number[] = [];
  constructor(
    private readonly maxDepth: number,
    private readonly maxSeqLen: number,
  ) {
    this.mtpNext = new Array(maxDepth).fill(0);
  }

  reset(prompt: readonly number[], depth: number): void {
    if (prompt.length === 0) throw new RangeError('the prompt must hold at least one token');
    if (prompt.length > this.maxSeqLen)
      throw new RangeError(`prompt of ${prompt.length} tokens exceeds the context (${this.maxSeqLen})`);
    this.checkDepth(depth);
    this.tokens = [...prompt];
    this.drafts = [];
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

  /** Records that a step ran, with the drafts its verify block read. */
  stepRan(drafts: readonly number[]): void {
    const depth = drafts.length;
    const length = this.tokens.length;
    this.drafts = [...drafts];
    this.mainProcessed = length - 1 + depth;
    // Module k saw true tokens up to position length - 1, so positions <= length - 1 - k are final.
    for (let k = 1; k <= depth; k++) this.mtpNext[k - 1] = length - k;
  }

  commit(newTokens: readonly number[]): void {
    if (newTokens.length === 0) throw new RangeError('commit needs at least one token');
    if (newTokens.length > this.drafts.length + 1)
      throw new RangeError(`commit of ${newTokens.length} tokens after ${this.drafts.length} drafts: at most the drafts plus one token`);
    // The verify block computed the main model on the drafts: only they can be accepted.
    newTokens.slice(0, -1).forEach((t, i) => {
      if (t !== this.drafts[i]) throw new RangeError(`committed token ${i} (${t}) is not the draft (${this.drafts[i]}) the main model verified`);
    });
    this.drafts = [];
    if (this.tokens.length + newTokens.length > this.maxSeqLen + 1)
      throw new RangeError('commit would pass the context');
    this.tokens.push(...newTokens);
    this.mainValid = Math.min(this.mainProcessed, this.tokens.length - 2);
  }

  private checkDepth(depth: number): void {
    if (!Number.isInteger(depth) || depth < 0 || depth > this.maxDepth)
      throw new RangeError(`draft depth ${depth} is outside 0..${this.maxDepth}`);
  }
}

/** Throws unless temperature > 0 (finite) and 0 < topP <= 1. */
export function checkSampling(s: SamplingParams): void {
  if (!(s.temperature > 0) || !Number.isFinite(s.temperature)) throw new RangeError(`temperature must be > 0, got ${s.temperature}`);
  if (!(s.topP > 0 && s.topP <= 1)) throw new RangeError(`top-p must be in (0, 1], got ${s.topP}`);
}

/** Throws unless `u` is a draw uniform: in [0, 1). */
export function checkUniform(u: number): void {
  if (!(u >= 0 && u < 1)) throw new RangeError(`a draw uniform must be in [0, 1), got ${u}`);
}

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
    let logits: Float32Array = new Float32Array();
    prompt.forEach((t, pos) => {
      const out = this.model.main(this.cache, t, pos);
      this.hidden[0][pos] = out.hidden;
      logits = out.logits;
    });
    for (let k = 1; k <= depth; k++)
      for (let i = 0; i + k < prompt.length; i++) this.runMtp(k, i, prompt[i + k]);
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

  commit(tokens: readonly number[]): void {
    this.state.commit(tokens);
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
