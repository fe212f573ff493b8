// The model on show and its engines: which catalogue model is chosen, its download, the backend
// (two engines on one device, or the CPU reference) and what the page says of the device. The
// controller (race.ts) serialises the hand-over from one model to the next on its task chain and
// calls `begin` then `load`; a later `begin` abandons a load under way, so the latest pick wins.
import { DEFAULT_MODEL, modelEntry } from '../model/catalogue.ts';
import type { Backend, Model } from './backend.ts';
import { backendNotices, lostDeviceNotice } from './device-notices.ts';
import type { ModelLoading, Notice, RaceControllerOptions, RaceView } from './race-types.ts';

/** How a load ended: the model and its engines are ready, a later pick overtook it, or it failed. */
export type LoadOutcome = { ready: true } | { ready: false; overtaken: true } | { ready: false; overtaken: false; error: unknown };

export class ModelSession {
  /** The model chosen: loaded, loading, or failed to load. */
  selected: string;
  model?: Model;
  loading?: ModelLoading;
  backend?: Backend;
  /** The backend's device was lost: its engines are rebuilt before the next run. */
  deviceLost = false;
  device: RaceView['device'] = { state: 'loading' };
  deviceNotices: Notice[] = [];
  private loadAbort?: AbortController;

  constructor(
    private readonly options: Pick<RaceControllerOptions, 'loadModel' | 'createBackend' | 'model'>,
    private readonly changed: () => void,
  ) {
    this.selected = options.model ?? DEFAULT_MODEL;
  }

  /** `name` is the model chosen, loaded or loading now (a failed one is not). */
  holds(name: string): boolean {
    return name === this.selected && (this.model !== undefined || this.loading !== undefined);
  }

  /**
   * Starts the hand-over to `name`: a load under way is abandoned at once, and the model is no
   * longer on show. Returns the new load's signal, for `load` once nothing else is in flight.
   */
  begin(name: string): AbortSignal {
    this.selected = name;
    this.loadAbort?.abort();
    const load = new AbortController();
    this.loadAbort = load;
    this.model = undefined;
    this.loading = { name, title: titleOf(name), received: 0 };
    return load.signal;
  }

  /** Disposes the old engines, then downloads `name`'s files and builds its engines. */
  async load(name: string, signal: AbortSignal): Promise<LoadOutcome> {
    this.model = undefined;
    this.disposeBackend();
    this.deviceNotices = [];
    const title = titleOf(name);
    try {
      const model = await this.options.loadModel(name, {
        signal,
        onProgress: (received, total) => {
          if (signal.aborted) return;
          this.loading = { name, title, received, total };
          this.changed();
        },
      });
      if (signal.aborted) return { ready: false, overtaken: true };
      this.model = model;
      await this.buildBackend(model);
      // Overtaken while the engines were built: the next load disposes them.
      if (signal.aborted) return { ready: false, overtaken: true };
      this.loading = undefined;
      return { ready: true };
    } catch (error) {
      if (signal.aborted) return { ready: false, overtaken: true };
      this.model = undefined;
      this.loading = undefined;
      // A model error is the page's to show; the device report says only that no device was asked for.
      if (this.device.state === 'loading') this.device = { state: 'skipped' };
      return { ready: false, overtaken: false, error };
    }
  }

  /** Builds the model's engines (again, after a lost device); a lost device is reported when it happens. */
  async buildBackend(model: Model): Promise<void> {
    this.disposeBackend();
    this.changed();
    const backend = await this.options.createBackend(model.weights);
    this.backend = backend;
    this.device = backend.report ? { state: 'done', report: backend.report } : { state: 'error', failure: backend.failure };
    this.deviceNotices = backendNotices(backend);
    void backend.lost.then((why) => {
      if (this.backend !== backend) return;
      this.deviceLost = true;
      this.device = { state: 'error', failure: { reason: 'lost', message: why } };
      this.deviceNotices = [lostDeviceNotice(why)];
      this.changed();
    });
  }

  private disposeBackend(): void {
    this.backend?.dispose();
    this.backend = undefined;
    this.deviceLost = false;
    this.device = { state: 'loading' };
  }
}

/** What the page calls a model: its catalogue title (its name, for one not in the catalogue). */
export function titleOf(name: string): string {
  return modelEntry(name)?.title ?? name;
}
