// A pure helper shared by the GPU engine's cost curve, the profiler and the benchmarks (the lowest
// layer, so that neither gpu/ nor decode/ reaches into the other for it).

/** The median of timings (the mean of the middle two for an even count): robust to one slow run. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of no values');
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
