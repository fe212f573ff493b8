// Slow motion: a race shown at its measured times multiplied by one common factor. The race itself
// runs at full speed and its figures are the measured ones; only what the page shows waits. Each
// side's views are recorded at that side's measured decode time (its own step clock, the one its
// tokens/s and the fair scheduling count), and the replay shows, at replay time t since the race
// started, each side's latest view recorded at or before t / factor.
//
// Auto: on a fast device a race is over before anyone can follow it, so Auto slows a race whose
// baseline would take under AUTO_SLOW_BELOW_MS to about AUTO_TARGET_MS, with the factor chosen
// once from the baseline's first AUTO_PROBE_STEPS steps (its projected duration at max tokens),
// and keeps a slower race live. Nothing past the prefill is shown while Auto probes.
import type { Pace, SideId, SideView } from './race-types.ts';

/** A baseline projected to take less than this is too quick to follow. */
export const AUTO_SLOW_BELOW_MS = 4000;
/** What Auto slows such a race to: long enough to watch one side pull ahead. */
export const AUTO_TARGET_MS = 9000;
/** Baseline steps Auto measures before it chooses (the first is often slower: a warm-up). */
export const AUTO_PROBE_STEPS = 3;
/** The slowest a replay goes: a race of a few milliseconds still ends within a minute. */
export const MAX_FACTOR = 1000;

/** The slow-motion factors the controls offer besides Auto and Live. */
export const PACE_FACTORS = [2, 5, 10, 20, 50] as const;

/** A pace as the address and the controls write it: "auto", "live" or a factor (1 is live). */
export function parsePace(raw: string): Pace | undefined {
  const v = raw.trim().toLowerCase();
  if (v === 'auto') return { kind: 'auto' };
  if (v === 'live') return { kind: 'live' };
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n < 1 || n > MAX_FACTOR) return undefined;
  return n === 1 ? { kind: 'live' } : { kind: 'fixed', factor: n };
}

/** The inverse of parsePace. */
export function paceText(pace: Pace): string {
  return pace.kind === 'fixed' ? String(pace.factor) : pace.kind;
}

/** Auto's factor for a baseline projected to take `projectedMs`: 1 (live) when it is slow enough to watch. */
export function autoFactor(projectedMs: number): number {
  if (!(projectedMs > 0)) return MAX_FACTOR;
  if (projectedMs >= AUTO_SLOW_BELOW_MS) return 1;
  return Math.min(MAX_FACTOR, Math.ceil(AUTO_TARGET_MS / projectedMs));
}

interface Recorded {
  atMs: number;
  view: SideView;
}

export class Replay {
  private readonly recorded: Record<SideId, Recorded[]> = { baseline: [], mtp: [] };
  private readonly startedAt: number;
  private chosen: number | undefined;
  private finished = false;

  /** Starts the replay clock now (`now`: the page's visible clock, which stops while it is hidden). */
  constructor(
    readonly pace: Pace,
    private readonly now: () => number,
    private readonly maxTokens: number,
  ) {
    this.startedAt = now();
    if (pace.kind === 'live') this.chosen = 1;
    if (pace.kind === 'fixed') {
      if (!(Number.isFinite(pace.factor) && pace.factor >= 1 && pace.factor <= MAX_FACTOR))
        throw new RangeError(`slow motion factor must be in 1..${MAX_FACTOR}, got ${pace.factor}`);
      this.chosen = pace.factor;
    }
  }

  /** The common factor, once chosen (undefined while Auto probes). */
  get factor(): number | undefined {
    return this.chosen;
  }

  /**
   * Records side `id`'s view as of `atMs` of its measured decode time (0: after its prefill). Times
   * of one side never go back. Auto chooses its factor from the baseline's views.
   */
  record(id: SideId, atMs: number, view: SideView): void {
    const list = this.recorded[id];
    const last = list[list.length - 1];
    if (last && atMs < last.atMs) throw new RangeError(`${id}: recorded at ${atMs} ms after ${last.atMs} ms`);
    if (last && atMs === last.atMs) list[list.length - 1] = { atMs, view };
    else list.push({ atMs, view });
    if (this.chosen === undefined && id === 'baseline') {
      const m = view.metrics;
      if (m.steps >= AUTO_PROBE_STEPS || view.stop !== undefined)
        this.chosen =
          m.tokens > 0 && view.stop === undefined ? autoFactor((m.decodeMs / m.tokens) * this.maxTokens) : autoFactor(m.decodeMs);
    }
  }

  /** The race has ended: nothing more will be recorded. */
  finish(): void {
    this.finished = true;
    // A baseline that ended before Auto's probe (a stop token, a tiny max tokens) decides it now.
    if (this.chosen === undefined) this.chosen = autoFactor(this.recorded.baseline.at(-1)?.atMs ?? 0);
  }

  /** Replay time: visible milliseconds since the race started, divided by the factor (0 while Auto probes). */
  private position(): number {
    return this.chosen === undefined ? 0 : (this.now() - this.startedAt) / this.chosen;
  }

  /** Each side's view due now: its latest recorded at or before the replay position (undefined before its prefill). */
  frame(): { baseline?: SideView; mtp?: SideView } {
    const at = this.position();
    const due = (list: Recorded[]) => {
      let shown: SideView | undefined;
      for (const r of list) {
        if (r.atMs > at && shown) break;
        // A side's prefill view (atMs 0) is due at once; a later one when its time comes.
        if (r.atMs <= at || r.atMs === 0) shown = r.view;
      }
      return shown;
    };
    return { baseline: due(this.recorded.baseline), mtp: due(this.recorded.mtp) };
  }

  /** Visible milliseconds until the next recorded view is due; undefined when none is waiting. */
  nextDueInMs(): number | undefined {
    if (this.chosen === undefined) return undefined;
    const at = this.position();
    const next = [...this.recorded.baseline, ...this.recorded.mtp].filter((r) => r.atMs > at).map((r) => r.atMs);
    return next.length === 0 ? undefined : (Math.min(...next) - at) * this.chosen;
  }

  /** The race has ended and everything recorded is on show. */
  get caughtUp(): boolean {
    return this.finished && this.nextDueInMs() === undefined;
  }
}
