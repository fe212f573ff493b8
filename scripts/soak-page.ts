// What `npm run soak` (scripts/soak.ts) runs inside the page, through Playwright: these functions
// are serialised into the page, so they use nothing but the page's own globals.
import type { PagePoll, StateEvent } from './soak-report.ts';

/**
 * Init script: records every change of #app[data-state] (main.ts sets it once the page shows that
 * state; a finished run's result is on window.__raceResult by then), for the poll to drain.
 */
export function recordStates(): void {
  const w = window as unknown as { __soakEvents: StateEvent[] };
  w.__soakEvents = [];
  let last: string | undefined;
  new MutationObserver(() => {
    const app = document.getElementById('app');
    const state = app?.dataset.state;
    if (!state || state === last) return;
    last = state;
    const result = window.__raceResult;
    const model = window.__race?.modelName ?? window.__race?.selectedModel;
    const ev: StateEvent = { state, at: Date.now(), model };
    if (state === 'done' && result) {
      ev.mode = result.tree ? `tree ${result.tree.rows}` : 'chain';
      ev.draft = result.tree ? `d${result.depth} ${result.tree.shape}` : `d${result.depth}`;
      ev.speedup = result.speedup;
    }
    // Drained every second; bounded in case the soak stops draining.
    if (w.__soakEvents.length < 1000) w.__soakEvents.push(ev);
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
}

/** One look at the page: its phase, its progress, its error notices, and the state changes since the last look. */
export function readPage(): PagePoll {
  const w = window as unknown as { __soakEvents?: StateEvent[] };
  const events = w.__soakEvents ?? [];
  w.__soakEvents = [];
  const race = window.__race;
  if (!race)
    return { phase: document.getElementById('app')?.dataset.state ?? 'starting', progress: 'no controller', tokens: 0, errors: [], events };
  const v = race.view();
  const tokens = [v.baseline, v.mtp].reduce((n, side) => n + (side ? side.metrics.tokens + side.metrics.prefillTokens : 0), 0);
  const errors = [...v.deviceNotices, ...v.runNotices].filter((n) => n.level === 'error').map((n) => n.text);
  return {
    phase: v.phase,
    model: v.model?.name ?? v.selectedModel,
    progress: [v.phase, v.selectedModel, v.loading?.received ?? '', v.prompt?.text ?? '', tokens, v.device.state].join('|'),
    tokens,
    errors,
    events,
  };
}
