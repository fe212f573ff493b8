// Speculative sampling (Leviathan et al. 2023; Chen et al. 2023), the CPU half: the accept /
// resample rule and the seeded PRNG (temperature + top-p and the inverse-CDF draw are
// src/model/ops.ts samplingDistribution and sampleIndex, which the CPU engine uses too).
//
// A step with `depth` drafts: MTP module k drew draft x_k from its own distribution q_k (temperature
// and top-p applied as for the main model, on the GPU, from a uniform this side drew); the main
// model's verify block gives p_1 .. p_(depth+1). For j = 1..depth: accept x_j with probability
// min(1, p_j(x_j) / q_j(x_j)); at the first rejection draw the step's last token from
// normalize(max(0, p_j - q_j)) and stop; when every draft passes, draw a bonus token from
// p_(depth+1). Each committed token is then distributed exactly as plain sampling from p would
// give (depth 0 draws from p_1 directly), whatever the drafts were.
//
// Randomness: one `Rng` per run, seeded. Each step draws a fixed number of uniforms, in a fixed
// order (`drawStepUniforms`), so a run is a function of its seed and the model's probabilities.
import { sampleIndex } from '../model/ops.ts';

/**
 * xoshiro128** (Blackman and Vigna), 128-bit state, seeded through SplitMix32 so that nearby seeds
 * give unrelated streams. Any safe integer is a seed.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x9e3779b9);
    const split = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = split();
    this.s1 = split();
    this.s2 = split();
    this.s3 = split();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the one state xoshiro can't leave
  }

  /** 32 random bits. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) on a grid of 2^-24: exactly a float32 (what the GPU gets, bit for bit). */
  nextF32(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The uniforms one step consumes. */
export interface StepUniforms {
  /** drafts[k - 1]: module k's inverse-CDF draw (float32-exact, sent to the engine). */
  drafts: number[];
  /** accept[j - 1]: the accept test of draft j. */
  accept: number[];
  /** The draw of the step's last token (residual or bonus). */
  final: number;
}

/** Draws a step's uniforms: depth draft uniforms, depth accept uniforms, one final; always all of them. */
export function drawStepUniforms(rng: Rng, depth: number): StepUniforms {
  const drafts = Array.from({ length: depth }, () => rng.nextF32());
  const accept = Array.from({ length: depth }, () => rng.next());
  return { drafts, accept, final: rng.next() };
}

export interface Verdict {
  /** Drafts accepted (a leading prefix), 0..depth. */
  accepted: number;
  /** The token after them: drawn from the residual at the first rejection, else the bonus from p_(depth+1). */
  token: number;
}

/**
 * The accept / resample rule. `p[j]` (j = 0..depth): the main model's sampling distribution at
 * verify row j (row j predicts the token draft j + 1 proposes); `q[j]` (j = 0..depth - 1): the
 * distribution draft j + 1 was drawn from; `u`: this step's uniforms (only accept and final are read).
 */
export function acceptOrResample(
  p: readonly ArrayLike<number>[],
  q: readonly ArrayLike<number>[],
  drafts: readonly number[],
  u: Pick<StepUniforms, 'accept' | 'final'>,
): Verdict {
  const depth = drafts.length;
  if (p.length < depth + 1 || q.length < depth || u.accept.length < depth)
    throw new RangeError(`a step of ${depth} drafts needs ${depth + 1} p rows, ${depth} q rows and ${depth} accept uniforms`);
  for (let j = 0; j < depth; j++) {
    const x = drafts[j];
    const px = p[j][x];
    const qx = q[j][x];
    // Accept with probability min(1, p/q): u < p/q, written without the division (q = 0: accept iff p > 0).
    if (u.accept[j] * qx < px) continue;
    return { accepted: j, token: residualDraw(p[j], q[j], u.final) };
  }
  return { accepted: depth, token: sampleIndex(p[depth], u.final) };
}

/** A draw from normalize(max(0, p - q)); from p itself if that is empty (p = q up to rounding). */
export function residualDraw(p: ArrayLike<number>, q: ArrayLike<number>, u: number): number {
  const r = new Float64Array(p.length);
  let any = false;
  for (let i = 0; i < p.length; i++) {
    const d = p[i] - q[i];
    if (d > 0) {
      r[i] = d;
      any = true;
    }
  }
  return sampleIndex(any ? r : p, u);
}
