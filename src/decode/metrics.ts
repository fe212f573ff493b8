// Figures of one decode run, accumulated from its StepEvents (pure: no DOM, no clock).
//
// Definitions (what the demo shows, and what the tests check):
// - tokens: tokens committed by steps. The prefill's token (the main model's first token after
//   the prompt) is counted apart, in prefillTokens, with the prefill's time.
// - decodeMs: summed wall time of the steps (prefill apart). tokens/s = tokens / decodeMs * 1000.
// - ms per step = decodeMs / steps; mean tokens per step = tokens / steps; mean rows per step: the
//   main model's verify rows a step (the bonus and every draft: depth + 1 for a chain, a tree's nodes + 1).
// - acceptance per draft position k (k = 1..depth), conditional on reaching k: a step with
//   `accepted = a` and `proposed = p` accepted the drafts at positions 1..a and rejected the
//   draft at position a + 1 (when a < p); drafts past a + 1 were never judged (the main model's
//   verdict at a + 1 already ended the step), so they count nowhere. Acceptance at k =
//   accepted at k / judged at k. Position 2's figure is therefore "accepted, given that position
//   1 was", like a per-head acceptance rate measured teacher-forced.
//   A step whose emitted tokens were cut short (by max tokens or the document boundary:
//   stepCutShort) accepted positions 1..accepted and judged nothing past them as far as this run
//   shows.
// - pooled acceptance: accepted drafts / proposed drafts over all steps (every draft counts as
//   proposed, judged or not); with depth 1 it equals acceptance at position 1.
// - accepted-length histogram: histogram[a] = steps that accepted exactly a drafts (0..depth).
import { stepCutShort, type StepEvent } from './decode-run.ts';

export interface PositionAcceptance {
  /** Draft position, 1-based (1 = the first draft after the bonus token). */
  position: number;
  accepted: number;
  /** Drafts at this position the main model ruled on (accepted + rejected). */
  judged: number;
  /** accepted / judged, null until one was judged. */
  rate: number | null;
}

/** Decode progress after a step: for the tokens/s-over-time chart. */
export interface SeriesPoint {
  /** Summed step time so far (ms). */
  ms: number;
  /** Tokens committed by steps so far. */
  tokens: number;
}

export interface MetricsSnapshot {
  /** Drafts a step proposes (0 = the baseline). */
  depth: number;
  steps: number;
  tokens: number;
  decodeMs: number;
  prefillMs: number;
  prefillTokens: number;
  /** null until a step ran (or while the steps took no measurable time). */
  tokensPerSecond: number | null;
  msPerStep: number | null;
  meanTokensPerStep: number | null;
  meanRowsPerStep: number | null;
  /** One entry per draft position 1..depth. */
  acceptance: PositionAcceptance[];
  /** Accepted drafts / proposed drafts, all positions together; null until a draft was proposed. */
  pooled: { accepted: number; proposed: number; rate: number | null };
  /** histogram[a]: steps that accepted exactly a drafts, a = 0..depth. */
  histogram: number[];
  series: SeriesPoint[];
}

export class RunMetrics {
  private steps = 0;
  private tokens = 0;
  private rows = 0;
  private decodeMs = 0;
  private prefillMs = 0;
  private prefillTokens = 0;
  private readonly accepted: number[];
  private readonly judged: number[];
  private pooledAccepted = 0;
  private pooledProposed = 0;
  private readonly histogram: number[];
  private readonly series: SeriesPoint[] = [];

  constructor(readonly depth: number) {
    if (!Number.isInteger(depth) || depth < 0) throw new RangeError(`depth must be a non-negative integer, got ${depth}`);
    this.accepted = new Array(depth).fill(0);
    this.judged = new Array(depth).fill(0);
    this.histogram = new Array(depth + 1).fill(0);
  }

  /** Records the prefill: its wall time and the tokens it committed (the first generated one). */
  setPrefill(ms: number, tokens: number): void {
    this.prefillMs = ms;
    this.prefillTokens = tokens;
  }

  add(event: StepEvent): void {
    const { accepted: a, proposed: p } = event;
    if (!(Number.isInteger(a) && Number.isInteger(p) && a >= 0 && a <= p && p <= this.depth))
      throw new RangeError(`step with accepted ${a} of ${p} proposed does not fit depth ${this.depth}`);
    this.steps++;
    this.tokens += event.tokens.length;
    this.rows += event.rows;
    this.decodeMs += event.ms;
    for (let k = 0; k < a; k++) {
      this.accepted[k]++;
      this.judged[k]++;
    }
    if (a < p && !stepCutShort(event)) this.judged[a]++;
    this.pooledAccepted += a;
    this.pooledProposed += p;
    this.histogram[a]++;
    this.series.push({ ms: this.decodeMs, tokens: this.tokens });
  }

  snapshot(): MetricsSnapshot {
    const per = (n: number, d: number) => (d > 0 ? n / d : null);
    return {
      depth: this.depth,
      steps: this.steps,
      tokens: this.tokens,
      decodeMs: this.decodeMs,
      prefillMs: this.prefillMs,
      prefillTokens: this.prefillTokens,
      tokensPerSecond: this.decodeMs > 0 ? (this.tokens / this.decodeMs) * 1000 : null,
      msPerStep: per(this.decodeMs, this.steps),
      meanTokensPerStep: per(this.tokens, this.steps),
      meanRowsPerStep: per(this.rows, this.steps),
      acceptance: this.accepted.map((accepted, k) => ({
        position: k + 1,
        accepted,
        judged: this.judged[k],
        rate: per(accepted, this.judged[k]),
      })),
      pooled: { accepted: this.pooledAccepted, proposed: this.pooledProposed, rate: per(this.pooledAccepted, this.pooledProposed) },
      histogram: [...this.histogram],
      series: this.series.slice(),
    };
  }
}

/** MTP tokens/s over baseline tokens/s, both measured; null until both have a rate. */
export function speedup(baseline: MetricsSnapshot | undefined, mtp: MetricsSnapshot | undefined): number | null {
  const b = baseline?.tokensPerSecond;
  const m = mtp?.tokensPerSecond;
  return b && m !== null && m !== undefined ? m / b : null;
}
