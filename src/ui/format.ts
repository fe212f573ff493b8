// How the page writes its figures (pure). The browser tests format the app's final metrics
// with these same functions and compare them with what the page shows.

/** Shown where a figure has no value yet. */
export const NO_VALUE = '—';

/** Tokens per second: one decimal below 100, whole numbers above. */
export function formatRate(tokensPerSecond: number | null | undefined): string {
  if (tokensPerSecond === null || tokensPerSecond === undefined || !Number.isFinite(tokensPerSecond)) return NO_VALUE;
  return tokensPerSecond < 100 ? tokensPerSecond.toFixed(1) : tokensPerSecond.toFixed(0);
}

/** A ratio such as the speedup, two decimals (the × sign is written next to it, not in it). */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return NO_VALUE;
  return ratio.toFixed(2);
}

/** A rate in 0..1 as a whole percentage (the % sign is written next to it, not in it). */
export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return NO_VALUE;
  return (rate * 100).toFixed(0);
}

/** Milliseconds: two decimals below 10 ms, one below 1000, whole above. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NO_VALUE;
  return ms < 10 ? ms.toFixed(2) : ms < 1000 ? ms.toFixed(1) : ms.toFixed(0);
}

/** A byte count for people: B, kB or MB (decimal units, as servers and browsers report sizes). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return NO_VALUE;
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
