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
  const n = x.length;
  for (let j = 0; j < rows; j++) {
    let acc = 0;
    const base = j * n;
    for (let i = 0; i < n; i++) acc += W[base + i] * x[i];
    out[j] = acc;
  }
  return out;
}

/** Rotary position embedding in place, "rotate half" pairing (j, j + headDim/2) in each head. */
export function rope(x: Float32Array, pos: number, nHeads: number, theta: number): Float32Array {
  const headDim = x.length / nHeads;
  const half = headDim / 2;
  for (let j = 0; j < half; j++) {
    const angle = pos * Math.pow(theta, (-2 * j) / headDim);
    const cos = Math.fround(Math.cos(angle));
    const sin = Math.fround(Math.sin(angle));
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
    for (let t = 0; t < length; t++) sum += (scores[t] = Math.exp(scores[t] - max));
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

/** log(sum(exp(x))), stable. */
export function logSumExp(x: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  return max + Math.log(sum);
}
