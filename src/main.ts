// The page's entry point: loads the model, builds the race's engines (src/app) and shows the race
// (src/ui). Updates are coalesced: however many steps finish in a frame, the page renders once.
//
// Hooks for the browser tests: #app[data-state] is idle | loading | running | done | error, set
// once the page shows that state; when a run is done, its figures (RaceResult) are on
// #app[data-metrics] as JSON and on window.__raceResult.
import { createBackend, fetchModel } from './app/backend.ts';
import { RaceController, type RaceResult } from './app/race.ts';
import { VisibleClock } from './app/visible-clock.ts';
import type { RunDetail } from './ui/race-controls.ts';
import './ui/race-view.ts';

declare global {
  interface Window {
    __raceResult?: RaceResult;
    /** The controller, for tests and the console (dev server only). */
    __race?: RaceController;
  }
}

const app = document.querySelector<HTMLElement>('#app')!;
const view = app.querySelector('race-view')!;

const controller = new RaceController({
  loadModel: () => fetchModel(`${import.meta.env.BASE_URL}models/brown-mtp`),
  // navigator.gpu is typed as always present; in browsers without WebGPU it is undefined.
  createBackend: (weights) =>
    createBackend(weights, {
      gpu: (navigator as Partial<Navigator>).gpu,
      userAgent: navigator.userAgent,
      secureContext: window.isSecureContext,
    }),
  clock: new VisibleClock(document),
  onChange: schedule,
});
if (import.meta.env.DEV) window.__race = controller;

let frame = 0;
function schedule(): void {
  if (!frame) frame = requestAnimationFrame(render);
}

async function render(): Promise<void> {
  frame = 0;
  const data = controller.view();
  view.view = data;
  await view.updateComplete;
  if (data.result) {
    window.__raceResult = data.result;
    app.dataset.metrics = JSON.stringify(data.result);
  } else {
    delete window.__raceResult;
    delete app.dataset.metrics;
  }
  app.dataset.state = data.phase;
}

view.addEventListener('race-run', (e) => void controller.run((e as CustomEvent<RunDetail>).detail));
view.addEventListener('profile-step', () => void controller.profileStep());
void controller.start();
