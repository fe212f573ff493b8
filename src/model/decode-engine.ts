// The contract between the decode loop and an inference engine (the WebGPU engine in src/gpu,
// or the CPU reference engine in cpu-engine.ts); the position bookkeeping both share is decode-state.ts.
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
//
// A tree step (`treeStep`, greedy only) drafts a DraftTree (draft-tree.ts) instead of a chain:
// module k proposes its top candidates below every node at depth k - 1, each from that node's own
// branch, and the main model verifies the root (the bonus) and every node in one block, each row
// seeing the committed prefix and its own ancestors only. The caller commits a root-to-node path
// plus one more token; the engine keeps that path's KV (moving it into place) and drops the rest.
import type { ModelConfig } from './config.ts';
import type { DraftTree } from './draft-tree.ts';

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

export interface TreeStepResult {
  /** tokens[n - 1]: node n's drafted token. */
  tokens: number[];
  /** verified[n]: the main model's argmax after node n's branch (verified[0]: after the root). */
  verified: number[];
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
  /** Compute dispatches the last step encoded (counted from its ops; GPU engines only). */
  readonly lastStepDispatches?: number;
  /** Clears all state and runs the prompt through the main model (and the MTP modules up to
   * `depth` over the positions whose next tokens are known). Returns the main model's argmax
   * after the prompt (with `sampling`: a token drawn from its distribution); nothing is committed
   * beyond the prompt until `commit`. */
  prefill(prompt: readonly number[], depth: number, sampling?: PrefillSampling): Promise<number>;
  /** One draft-and-verify step with `depth` drafts (0 = plain decoding); with `sampling`, drafts are
   * drawn (not argmax) and the result carries p and q. */
  step(depth: number, sampling?: StepSampling): Promise<StepResult>;
  /** A greedy draft-tree step (engines without trees leave it out). Rows of `mainLogits` are then
   * the tree's nodes (0: the root). */
  treeStep?(tree: DraftTree): Promise<TreeStepResult>;
  /** Commits tokens after a prefill or a step: the accepted drafts, then one final token (after a
   * tree step: the tokens of a root-to-node path, then one more). */
  commit(tokens: readonly number[]): void;
  /** The main model's logits at row `row` of the last step's verify block (0..depth), or of the
   * prefill's last position (row 0): for the rare token the no-repeat rule turns down. */
  mainLogits(row: number): Promise<Float32Array>;
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
