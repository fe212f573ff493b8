// The page's entry point: loads the model, builds the race's engines (src/app) and shows the race
// (src/ui). Updates are coalesced: however many steps finish in a frame, the page renders once, and
// during a race at most every RUNNING_RENDER_INTERVAL_MS (rendering competes with the decode).
//
// The model picker's choice (`model-select`) goes to RaceController.selectModel, which loads
// public/models/<name>.* (the progress shows while the weights arrive) and rebuilds the engines.
//
// Model files are kept in the Cache API for the next visit (src/app/model-store.ts), and the built
// site's service worker (public/sw.js) keeps the page itself, so that a reload offline works.
//
// Conference screens: the address's options (src/app/kiosk.ts) choose the model and fill in the
// controls, `?autoplay` cycles models and prompts with no one at the keyboard
// (src/app/autoplay.ts), `?large` sets large type.
//
// Hooks for the browser tests: #app[data-state] is idle | loading | running | done | error, set
// once the page shows that state; when a run is done, its figures (RaceResult) are on
// #app[data-metrics] as JSON and on window.__raceResult.
import { Autoplay } from './app/autoplay.ts';
import * as backendModule from './app/backend.ts';
import { kioskCycle, kioskModel, kioskPrompts, parseKioskQuery } from './app/kiosk.ts';
import { cacheStore } from './app/model-store.ts';
import { RaceController } from './app/race.ts';
import type { RaceResult } from './app/race-types.ts';
import { VisibleClock } from './app/visible-clock.ts';
import { modelEntry } from './model/catalogue.ts';
import type { ModelSelectDetail } from './ui/model-picker.ts';
import { DEFAULT_MAX_TOKENS, type RunDetail } from './ui/race-controls.ts';
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
const kiosk = parseKioskQuery(location.search);

const clock = new VisibleClock(document);
let autoplay: Autoplay | undefined;
/** The model and engine code: replaced by a hot update in `npm run dev` (see the end of this file). */
let backend: typeof backendModule = backendModule;

const firstModel = kioskModel(kiosk);
const store = cacheStore(globalThis.caches);

const controller = new RaceController({
  model: firstModel,
  // The signal reaches the fetches, so that choosing another model stops a download under way.
  loadModel: (name, { onProgress, signal }) =>
    backend.fetchModel(`${import.meta.env.BASE_URL}models/${name}`, fetch, { onProgress, signal, store, sha256: modelEntry(name)?.sha256 }),
  forgetDownloads: () => store.clear(),
  // navigator.gpu is typed as always present; in browsers without WebGPU it is undefined.
  createBackend: (weights) =>
    backend.createBackend(weights, {
      gpu: (navigator as Partial<Navigator>).gpu,
      userAgent: navigator.userAgent,
      secureContext: window.isSecureContext,
    }),
  clock,
  onChange: () => {
    autoplay?.update();
    schedule();
  },
});
if (import.meta.env.DEV) window.__race = controller;

/**
 * While a race runs, the page renders at most this often. Rendering every frame made each decode
 * step markedly slower in headless Chromium on SwiftShader (style, layout and raster share the
 * CPU with the "GPU"; docs/journal.md). Seven updates a second still show the text flowing.
 */
const RUNNING_RENDER_INTERVAL_MS = 150;

let frame = 0;
let wait: ReturnType<typeof setTimeout> | undefined;
let lastRender = -Infinity;
function schedule(): void {
  if (frame || wait) return;
  const early = RUNNING_RENDER_INTERVAL_MS - (performance.now() - lastRender);
  if (controller.computing && early > 0) {
    wait = setTimeout(() => {
      wait = undefined;
      schedule();
    }, early);
    return;
  }
  frame = requestAnimationFrame(render);
}

async function render(): Promise<void> {
  frame = 0;
  lastRender = performance.now();
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

if (kiosk.large) {
  document.documentElement.classList.add('large');
  view.large = true;
}
if (
  kiosk.prompts.length > 0 ||
  kiosk.depth !== undefined ||
  kiosk.tree !== undefined ||
  kiosk.tokens !== undefined ||
  kiosk.temperature !== undefined ||
  kiosk.pace !== undefined
)
  view.request = {
    text: kiosk.prompts[0] ?? modelEntry(firstModel)?.presets[0]?.text ?? '',
    depth: kiosk.depth,
    tree: kiosk.tree,
    maxTokens: kiosk.tokens ?? DEFAULT_MAX_TOKENS,
    temperature: kiosk.temperature,
    pace: kiosk.pace,
  };
if (kiosk.autoplay) {
  view.autoplay = true;
  autoplay = new Autoplay(controller, {
    models: kioskCycle(kiosk),
    promptsOf: (name) => kioskPrompts(kiosk, modelEntry(name)?.presets.map((p) => p.text) ?? []),
    depth: kiosk.depth,
    tree: kiosk.tree,
    maxTokens: kiosk.tokens ?? DEFAULT_MAX_TOKENS,
    temperature: kiosk.temperature,
    pace: kiosk.pace ?? { kind: 'auto' },
    holdMs: kiosk.holdMs,
    hidden: () => clock.hidden,
    onRun: (request) => (view.request = { ...request }),
    onStall: () => {
      console.warn('autoplay: no progress for minutes; reloading the page');
      location.reload();
    },
  });
}

view.addEventListener('race-run', (e) => void controller.run((e as CustomEvent<RunDetail>).detail));
view.addEventListener('model-select', (e) => void controller.selectModel((e as CustomEvent<ModelSelectDetail>).detail.name));
view.addEventListener('profile-step', () => void controller.profileStep());
view.addEventListener('forget-models', () => void controller.forgetDownloads());
void controller.start();

// The built site only: the dev server's modules change with every edit.
if (import.meta.env.PROD && 'serviceWorker' in navigator) void registerShellWorker();

/**
 * Registers public/sw.js (network first, the cache when offline) and hands it what this page
 * loaded: the worker starts after those requests, so it could not have kept them itself.
 */
async function registerShellWorker(): Promise<void> {
  try {
    const base = import.meta.env.BASE_URL;
    await navigator.serviceWorker.register(`${base}sw.js`, { scope: base });
    const worker = (await navigator.serviceWorker.ready).active;
    const loaded = performance.getEntriesByType('resource').map((e) => e.name);
    worker?.postMessage({ keep: [location.href, ...loaded] });
  } catch (e) {
    console.warn(`The page will not work offline: its service worker did not register (${(e as Error).message}).`);
  }
}

// Hot reload in `npm run dev`. An edit to a shader (shaders/*.wgsl, imported `?raw` by
// src/gpu/shaders.ts), or to a module that only src/app/backend.ts leads to (the GPU engine,
// kernels, device code, the model loaders), reaches this boundary: Vite hands over a fresh
// backend module, whose imports are fresh too, and the controller loads the model and builds the
// engines again with it, on a new device (cancelling a run in progress; the profiled steps stay,
// to compare before and after). A WGSL error makes the engine build fail: the page says so, with
// the error, and races on the CPU engine until the next save. An edit to any other module (UI,
// race, decode loop, or one that they import too) reloads the page, Vite's default.
if (import.meta.hot) {
  import.meta.hot.accept('./app/backend.ts', (next) => {
    if (!next) return;
    backend = next as unknown as typeof backendModule;
    void controller.restart('Engines rebuilt: the shader or engine code changed (hot reload).');
  });
}
