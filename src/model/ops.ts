// The CPU primitives of the forward pass, one row at a time, in Float32Array.
// They are the oracle for the WGSL kernels (tests/gpu) and the building blocks of the
// reference forward (reference.ts). Sums run in float64 (JS numbers) and round once.

/** out = x / sqrt(mean(x^2) + eps) * weight */
export function rmsnorm(x: Float32Array, weight: Float32Array, eps: number, out = new Float32Array(x.length)): Float32Array {
  let sumSq = 0;
  for (let i = 0; i < x.length; i++) sumSq += x[i] * x[i];
  const scale = 1 / Math.sqrt(sumSq / x.length + eps);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * scale * weight[i];
  return out;
}

/** out[j] = sum_i W[j, i] * x[i], with W stored row-major as [rows, x.length] (PyTorch's [out, in]). */
export function matvec(W: Float32Array, x: Float32Array, rows: number, out = new Float32Array(rows)): Float32Array {
  for (let j = 0; j < rows; j++) out[j] = rowDot(W, j, x);
  return out;
}

/** sum_i W[j, i] * x[i], in index order: one output of matvec. */
function rowDot(W: Float32Array, j: number, x: Float32Array): number {
  const n = x.length;
  const base = j * n;
  let acc = 0;
  for (let i = 0; i < n; i++) acc += W[base + i] * x[i];
  return acc;
}

/**
 * The logit of a token a head does not score (an MTP module's head outside its draft vocabulary):
 * the lowest finite float32. Finite, not NaN or -Infinity, so that softmax, top-p, argmax and the
 * candidates treat it as an ordinary logit that nothing picks, and WGSL can write it as a literal
 * (it has no NaN or infinite constants).
 */
export const EXCLUDED_LOGIT = -3.4028234663852886e38;

/** matvec over the rows `ids` of W only (as matvec computes each); every other output is EXCLUDED_LOGIT. */
export function matvecRows(W: Float32Array, x: Float32Array, rows: number, ids: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows).fill(EXCLUDED_LOGIT);
  for (let r = 0; r < ids.length; r++) out[ids[r]] = rowDot(W, ids[r], x);
  return out;
}

/**
 * cos and sin of RoPE pair j at position pos, rounded to float32: the one formula of the rotation,
 * used here and for the GPU's table (ropeTableData), so both round the same.
 */
export function ropeCosSin(pos: number, j: number, headDim: number, theta: number): [cos: number, sin: number] {
  const angle = pos * Math.pow(theta, (-2 * j) / headDim);
  return [Math.fround(Math.cos(angle)), Math.fround(Math.sin(angle))];
}

/** cos/sin of every (position, pair index), by ropeCosSin: the CPU reference's own values. */
export function ropeTableData(headDim: number, maxLen: number, theta: number): Float32Array {
  const half = headDim / 2;
  const table = new Float32Array(maxLen * half * 2);
  for (let pos = 0; pos < maxLen; pos++) for (let j = 0; j < half; j++) table.set(ropeCosSin(pos, j, headDim, theta), (pos * half + j) * 2);
  return table;
}

/** Rotary position embedding in place, "rotate half" pairing (j, j + headDim/2) in each head. */
export function rope(x: Float32Array, pos: number, nHeads: number, theta: number): Float32Array {
  const headDim = x.length / nHeads;
  const half = headDim / 2;
  for (let j = 0; j < half; j++) {
    const [cos, sin] = ropeCosSin(pos, j, headDim, theta);
    for (let h = 0; h < nHeads; h++) {
      const a = h * headDim + j;
      const x1 = x[a];
      const x2 = x[a + half];
      x[a] = x1 * cos - x2 * sin;
      x[a + half] = x2 * cos + x1 * sin;
    }
  }
  return x;
}

/**
 * Causal attention of one query over the first `length` cached positions (the query's
 * own position included). kCache/vCache hold `d` floats per position.
 */
export function attention(
  q: Float32Array,
  kCache: Float32Array,
  vCache: Float32Array,
  length: number,
  nHeads: number,
  out = new Float32Array(q.length),
): Float32Array {
  const d = q.length;
  const headDim = d / nHeads;
  const scale = 1 / Math.sqrt(headDim);
  const scores = new Float64Array(length);
  for (let h = 0; h < nHeads; h++) {
    const off = h * headDim;
    let max = -Infinity;
    for (let t = 0; t < length; t++) {
      let s = 0;
      for (let i = 0; i < headDim; i++) s += q[off + i] * kCache[t * d + off + i];
      scores[t] = s * scale;
      if (scores[t] > max) max = scores[t];
    }
    let sum = 0;
    for (let t = 0; t < length; t++) sum += scores[t] = Math.exp(scores[t] - max);
    for (let i = 0; i < headDim; i++) {
      let acc = 0;
      for (let t = 0; t < length; t++) acc += scores[t] * vCache[t * d + off + i];
      out[off + i] = acc / sum;
    }
  }
  return out;
}

/** SwiGLU's gate: out = silu(gate) * up. */
export function siluMul(gate: Float32Array, up: Float32Array, out = new Float32Array(gate.length)): Float32Array {
  for (let i = 0; i < gate.length; i++) out[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
  return out;
}

/** x += y */
export function addInPlace(x: Float32Array, y: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
  return x;
}

/** Index of the largest value; ties go to the lowest index (the GPU kernel does the same). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/**
 * The `count` best indices of x, best first: larger values first, ties to the lower index, NaNs and
 * EXCLUDED_LOGIT (a token the head did not score) never chosen (a row with fewer others fills up
 * with 0). The oracle of head.wgsl's candidates; its first is argmax's choice on a row without NaN.
 */
export function topCandidates(x: ArrayLike<number>, count: number): number[] {
  const order: number[] = [];
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]) && x[i] !== EXCLUDED_LOGIT) order.push(i);
  order.sort((a, b) => x[b] - x[a] || a - b);
  return Array.from({ length: count }, (_, c) => order[c] ?? 0);
}

/** log(sum(exp(x))), stable. */
export function logSumExp(x: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  return max + Math.log(sum);
}

/**
 * The distribution a token is sampled from (the oracle of shaders/sample.wgsl), in float64:
 * e_i = exp((x_i - max) / temperature) (NaN logits: 0); with topP < 1, the nucleus is every i with
 * e_i >= v, where v is the largest of the e values with sum_{e_j >= v} e_j >= topP * sum_j e_j (the
 * smallest set of most likely tokens holding topP of the mass; tied values are all kept or all
 * dropped, so the set does not depend on index order); the result is e over the nucleus, normalised,
 * and 0 elsewhere. temperature > 0, 0 < topP <= 1 (1: no truncation).
 */
export function samplingDistribution(logits: ArrayLike<number>, temperature: number, topP: number): Float64Array {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  const e = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = logits[i];
    e[i] = Number.isNaN(x) ? 0 : Math.exp((x - max) / temperature);
    total += e[i];
  }
  let threshold = 0;
  if (topP < 1) {
    const sorted = Float64Array.from(e).sort(); // ascending
    const target = topP * total;
    let cum = 0;
    for (let i = n - 1; i >= 0; i--) {
      cum += sorted[i];
      // Decide only at the end of a run of equal values (ties are kept or dropped together).
      if ((i === 0 || sorted[i - 1] !== sorted[i]) && cum >= target) {
        threshold = sorted[i];
        break;
      }
    }
  }
  let z = 0;
  for (let i = 0; i < n; i++) if (e[i] >= threshold) z += e[i];
  for (let i = 0; i < n; i++) e[i] = e[i] >= threshold ? e[i] / z : 0;
  return e;
}

/**
 * Inverse-CDF draw from non-negative weights (need not be normalised): the first index i whose
 * running sum sum_{j <= i} w_j exceeds u * sum_j w_j, u in [0, 1). Only an index with w_i > 0 can
 * be drawn; when rounding leaves none (u * sum at the very top), the last index with w_i > 0.
 * Throws when no weight is positive. shaders/sample.wgsl draws the same way.
 */
export function sampleIndex(weights: ArrayLike<number>, u: number): number {
  let total = 0;
  let last = -1;
  for (let i = 0; i < weights.length; i++)
    if (weights[i] > 0) {
      total += weights[i];
      last = i;
    }
  if (last < 0) throw new RangeError('sampleIndex: no positive weight');
  const cut = u * total;
  let run = 0;
  for (let i = 0; i <= last; i++) {
    if (!(weights[i] > 0)) continue;
    run += weights[i];
    if (run > cut) return i;
  }
  return last;
}
