// The profiler panel's side of the controller: the profiled steps kept (the latest
// PROFILE_HISTORY, so a page open for hours stays the same size), whether one is being taken, the
// last failure, and when a step can be profiled at all.
import type { ProfiledStep } from './profile.ts';
import type { ProfilerView, RacePhase } from './race-types.ts';

/** Profiled steps kept (the oldest go first). */
export const PROFILE_HISTORY = 20;

/** What decides whether a step can be profiled now. */
export interface ProfileConditions {
  enginesReady: boolean;
  /** The engines can profile (WebGPU ones: timestamps or wall-clock spans per kernel). */
  canProfile: boolean;
  deviceLost: boolean;
  phase: RacePhase;
}

export class ProfileLog {
  steps: readonly ProfiledStep[] = [];
  busy = false;
  error?: string;

  /** Why no step can be profiled now, or undefined when one can. */
  unavailable(c: ProfileConditions): string | undefined {
    if (!c.enginesReady || c.phase === 'loading') return 'The engines are not ready yet.';
    if (!c.canProfile) return 'Profiling needs WebGPU (the race runs on the CPU reference engine).';
    if (c.deviceLost) return 'The GPU device was lost; the engines are rebuilt at the next Run.';
    if (c.phase === 'running') return 'A race is running; profile when it is done.';
    if (this.busy) return 'Profiling…';
    return undefined;
  }

  add(step: ProfiledStep): void {
    this.steps = [...this.steps, step].slice(-PROFILE_HISTORY);
  }

  clear(): void {
    this.steps = [];
    this.error = undefined;
  }

  view(c: ProfileConditions): ProfilerView {
    const reason = this.unavailable(c);
    return { available: reason === undefined, reason, busy: this.busy, steps: this.steps, error: this.error };
  }
}
