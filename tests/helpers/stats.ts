// Goodness-of-fit helpers for the sampling tests: Pearson's chi-square against known
// probabilities or between two samples, with sparse cells pooled, and its critical value.

/** Upper quantile of the standard normal for the tail probabilities the tests use. */
const Z: Record<string, number> = { '1e-3': 3.0902, '1e-4': 3.719, '1e-5': 4.2649, '1e-6': 4.7534 };

/**
 * Critical value of chi-square with `df` degrees of freedom at upper-tail probability `alpha`
 * (Wilson-Hilferty: (chi2/df)^(1/3) is close to normal; within ~1% of the exact quantile for df >= 3
 * at these tails, and conservative-enough below).
 */
export function chiSquareCritical(df: number, alpha: '1e-3' | '1e-4' | '1e-5' | '1e-6'): number {
  const z = Z[alpha];
  const a = 2 / (9 * df);
  return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
}

export interface ChiSquare {
  statistic: number;
  df: number;
  /** Cells after pooling (the last one may be the pool). */
  cells: number;
}

/**
 * Pearson's chi-square of `counts` (key -> observations) against `probs` (key -> probability; keys
 * absent have probability 0). Cells expected below `minExpected` are pooled into one cell (merged into
 * the smallest kept cell if the pool itself stays below it). An observation in a cell of probability 0
 * is an outright failure: the statistic is Infinity.
 */
export function chiSquareFit<K>(counts: Map<K, number>, probs: Map<K, number>, n: number, minExpected = 5): ChiSquare {
  for (const [k, c] of counts) if (c > 0 && !((probs.get(k) ?? 0) > 0)) return { statistic: Infinity, df: 1, cells: 0 };
  const cells: { observed: number; expected: number }[] = [];
  let pool = { observed: 0, expected: 0 };
  for (const [k, p] of probs) {
    const cell = { observed: counts.get(k) ?? 0, expected: n * p };
    if (cell.expected >= minExpected) cells.push(cell);
    else pool = { observed: pool.observed + cell.observed, expected: pool.expected + cell.expected };
  }
  if (pool.expected >= minExpected) cells.push(pool);
  else if (pool.expected > 0 && cells.length > 0) {
    cells.sort((a, b) => a.expected - b.expected);
    cells[0] = { observed: cells[0].observed + pool.observed, expected: cells[0].expected + pool.expected };
  }
  const statistic = cells.reduce((s, c) => s + (c.observed - c.expected) ** 2 / c.expected, 0);
  return { statistic, df: cells.length - 1, cells: cells.length };
}

/**
 * Pearson's chi-square test of homogeneity of two samples (key -> count each), 2 x k, pooling keys
 * whose combined count is below `minCombined` into one cell.
 */
export function chiSquareTwoSample<K>(a: Map<K, number>, b: Map<K, number>, minCombined = 10): ChiSquare {
  const na = [...a.values()].reduce((s, x) => s + x, 0);
  const nb = [...b.values()].reduce((s, x) => s + x, 0);
  const keys = new Set([...a.keys(), ...b.keys()]);
  const cells: [number, number][] = [];
  let pool: [number, number] = [0, 0];
  for (const k of keys) {
    const cell: [number, number] = [a.get(k) ?? 0, b.get(k) ?? 0];
    if (cell[0] + cell[1] >= minCombined) cells.push(cell);
    else pool = [pool[0] + cell[0], pool[1] + cell[1]];
  }
  if (pool[0] + pool[1] > 0) cells.push(pool);
  let statistic = 0;
  for (const [x, y] of cells) {
    const total = x + y;
    const ea = (total * na) / (na + nb);
    const eb = (total * nb) / (na + nb);
    statistic += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb;
  }
  return { statistic, df: cells.length - 1, cells: cells.length };
}

/** Total variation distance between two distributions given as key -> probability. */
export function totalVariation<K>(a: Map<K, number>, b: Map<K, number>): number {
  const keys = new Set([...a.keys(), ...b.keys()]);
  let s = 0;
  for (const k of keys) s += Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0));
  return s / 2;
}

/** Counts of each key in `xs`. */
export function tally<K>(xs: Iterable<K>): Map<K, number> {
  const m = new Map<K, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** Counts scaled to frequencies. */
export function frequencies<K>(counts: Map<K, number>): Map<K, number> {
  const n = [...counts.values()].reduce((s, x) => s + x, 0);
  return new Map([...counts].map(([k, c]) => [k, c / n]));
}
