// The page's entry point: acquires the WebGPU device and hands plain data to the UI.
// `#app[data-state]` is 'loading' until a device is acquired ('done') or not ('error'), set once
// the report shows it; the browser tests wait on it.
import { acquireDevice, describeMissingWebGPU, WebGPUUnavailableError, type AcquiredDevice } from './gpu/device.ts';
import type { AdapterFailure } from './ui/adapter-report.ts';
import './ui/adapter-report.ts';

type AppState = 'loading' | 'done' | 'error';

const app = document.querySelector<HTMLElement>('#app')!;
const report = app.querySelector('adapter-report')!;

/** Sets the report's state, and #app's once the report has rendered it. */
async function setState(state: AppState): Promise<void> {
  report.state = state;
  await report.updateComplete;
  app.dataset.state = state;
}

function fail(failure: AdapterFailure): Promise<void> {
  report.failure = failure;
  return setState('error');
}

/** The device the page runs on, once acquired (the demo's engine will take it from here). */
let current: AcquiredDevice | undefined;

async function start(): Promise<AcquiredDevice | undefined> {
  await setState('loading');
  let gpu: AcquiredDevice;
  try {
    // navigator.gpu is typed as always present; in browsers without WebGPU it is undefined.
    gpu = await acquireDevice({ gpu: (navigator as Partial<Navigator>).gpu });
  } catch (e) {
    const advice = describeMissingWebGPU(navigator.userAgent, { secureContext: window.isSecureContext });
    if (e instanceof WebGPUUnavailableError) await fail({ reason: e.reason, message: e.message, advice });
    else await fail({ reason: 'unexpected', message: e instanceof Error ? e.message : String(e), advice });
    return undefined;
  }
  report.report = { adapterInfo: gpu.adapterInfo, features: gpu.features, limits: gpu.limits };
  current = gpu;
  await setState('done');
  void gpu.lost.then((info) => {
    if (current === gpu) current = undefined;
    if (info.reason === 'destroyed') return;
    void fail({ reason: 'lost', message: `The GPU device was lost: ${info.message || 'no reason given'}. Reload the page to start again.` });
  });
  return gpu;
}

void start();
