// The race: the same prompt decoded by the baseline (one token a step) and by MTP speculative
// decoding, on two engines of one device, one step at a time. Greedy by default (both texts must
// then be identical); with a temperature both sides sample, from one seed per run, and their texts
// are two draws from the same distribution.
//
// Fair scheduling: the next step always goes to the side that has used less step time so far
// (measured), so the text you see grow matches the measured throughputs. Only one step is ever
// in flight: a new run aborts the old one and waits for its current step before it starts.
// While the page is hidden, stepping pauses and the step clock stops (see visible-clock.ts).
//
// One model of the catalogue (src/model/catalogue.ts) is loaded at a time. Choosing another
// (`selectModel`) goes the same way as a new run: the run in progress stops after its current
// step, a load still downloading is aborted, then the old engines are disposed and the new
// model's are built. Nothing of the old model (text, figures, profiled steps) stays on show.
//
// This module owns the engines and the runs; the UI only reads `view()` (plain data) and calls
// `run()`. It calls `onChange` after every change; the page coalesces those per frame.
import { speedup } from '../decode/metrics.ts';
import { maxNewTokens, preparePrompt } from '../decode/prompt.ts';
import { DEFAULT_MODEL, modelEntry, unknownModelMessage } from '../model/catalogue.ts';
import { draftTreeFor } from '../model/draft-tree.ts';
import { clause } from '../model/errors.ts';
import type { Backend, Model } from './backend.ts';
import { backendNotices, lostDeviceNotice } from './device-notices.ts';
import { ProfileLog } from './profile-log.ts';
import { Side } from './race-side.ts';
import type {
  ModelLoading,
  Notice,
  RaceControllerOptions,
  RacePhase,
  RaceResult,
  RaceView,
  RunRequest,
  TreeSetting,
} from './race-types.ts';
import type { DraftTree } from '../model/draft-tree.ts';
import { freshSeed, runDepth, runTemperature, runTreeRows } from '../decode/run-options.ts';
import { TaskChain } from './task-chain.ts';

/** A macrotask: the CPU engine's steps never await anything real, and the page must still paint. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(0);
  });
}

export class RaceController {
  private phase: RacePhase = 'idle';
  private selected: string;
  private model?: Model;
  private loading?: ModelLoading;
  private loadAbort?: AbortController;
  private backend?: Backend;
  private backendStale = false;
  private device: RaceView['device'] = { state: 'loading' };
  private deviceNotices: Notice[] = [];
  private runNotices: Notice[] = [];
  private promptView?: RaceView['prompt'];
  private depth?: number;
  /** The latest run's draft tree (the MTP side's), absent for a chain. */
  private tree?: DraftTree;
  private maxTokens?: number;
  private temperature?: number;
  private seed?: number | null;
  private sides?: { baseline: Side; mtp: Side };
  private result?: RaceResult;
  /** Runs, loads and profiles, one after the other. */
  private readonly tasks = new TaskChain();
  private abort?: AbortController;
  private generation = 0;
  private readonly yieldTask: () => Promise<void>;
  private readonly profiles = new ProfileLog();
  /** The prompt tokens of the latest run, for profiles. */
  private lastPrompt?: number[];

  constructor(private readonly options: RaceControllerOptions) {
    this.yieldTask = options.yieldTask ?? macrotask;
    this.selected = options.model ?? DEFAULT_MODEL;
  }

  /**
   * Loads the chosen model (at first `options.model`) and builds the engines; the page is 'idle'
   * (ready) after it, or 'error'.
   */
  start(): Promise<void> {
    return this.reload(this.selected);
  }

  /**
   * Loads the model and builds the engines again, with whatever `loadModel` and `createBackend`
   * do now (the dev server's hot reload calls this once shader or engine code changed). A run in
   * progress is cancelled first and the last run's text and figures are cleared (they came from
   * the old engines); the profiled steps stay, to compare. `note` is shown once it is ready.
   */
  restart(note?: string): Promise<void> {
    return this.reload(this.selected, note);
  }

  /**
   * Switches to another model of the catalogue, as restart() does (the run in progress ends after
   * its current step; then the old engines go and the new model's are built), and forgets what
   * belonged to the old model: its prompt, depth and profiled steps (other tokens, other shapes).
   * A load of a model chosen before, still under way, is abandoned: the latest pick always wins.
   * The model already chosen (loaded, or loading) is not loaded again, unless its load failed.
   * A name not in the catalogue is refused with an error notice, and nothing changes.
   */
  selectModel(name: string): Promise<void> {
    if (!modelEntry(name)) {
      this.runNotices = [{ level: 'error', text: `Could not switch models: ${unknownModelMessage(name)}.` }];
      this.changed();
      return Promise.resolve();
    }
    if (name === this.selected && (this.model !== undefined || this.loading !== undefined)) return Promise.resolve();
    return this.reload(name);
  }

  /** The serialised hand-over of start(), restart() and selectModel(). */
  private reload(name: string, note?: string): Promise<void> {
    const other = name !== this.selected;
    this.selected = name;
    // The run in progress stops after its current step; a load under way is abandoned at once.
    this.generation++;
    this.abort?.abort();
    this.abort = undefined;
    this.loadAbort?.abort();
    const load = new AbortController();
    this.loadAbort = load;
    // Cleared now, so that nothing of the old engines is on show while they finish their step.
    this.forget(other);
    this.loading = { name, title: titleOf(name), received: 0 };
    this.setPhase('loading');
    return this.tasks.then(async () => {
      if (load.signal.aborted) return;
      // Nothing is in flight now; and again, for what the step (or a profile) left behind.
      this.forget(other);
      this.backend?.dispose();
      this.backend = undefined;
      this.backendStale = false;
      this.device = { state: 'loading' };
      this.deviceNotices = [];
      await this.load(name, load.signal);
      if (note && this.phase === 'idle' && !load.signal.aborted) {
        this.runNotices = [{ level: 'info', text: note }];
        this.changed();
      }
    });
  }

  /** Drops the last run's text and figures and the model; with `model`, what only that model could use too. */
  private forget(model: boolean): void {
    this.sides = undefined;
    this.result = undefined;
    this.promptView = undefined;
    this.runNotices = [];
    this.model = undefined;
    if (!model) return;
    this.lastPrompt = undefined;
    this.depth = undefined;
    this.tree = undefined;
    this.maxTokens = undefined;
    this.temperature = undefined;
    this.seed = undefined;
    this.profiles.clear();
  }

  /** The second half of reload(): its caller has already shown the load starting (phase, `loading`). */
  private async load(name: string, signal: AbortSignal): Promise<void> {
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
      if (signal.aborted) return;
      this.model = model;
      await this.buildBackend(model);
      // Overtaken while the engines were built: the next load disposes them.
      if (signal.aborted) return;
      this.loading = undefined;
      this.setPhase('idle');
    } catch (e) {
      if (signal.aborted) return;
      this.model = undefined;
      this.loading = undefined;
      this.runNotices = [{ level: 'error', text: `Could not load the model ${name}: ${clause(e)}.` }];
      // A model error is shown as one (above); the device report says only that no device was asked for.
      this.device = this.device.state === 'loading' ? { state: 'skipped' } : this.device;
      this.setPhase('error');
    }
  }

  /**
   * Starts a run. A run in progress is aborted first, and this one starts only once the old
   * one's current step has finished (one step on the device at a time).
   */
  run(request: RunRequest): Promise<void> {
    const generation = ++this.generation;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    return this.tasks.then(async () => {
      if (abort.signal.aborted) return;
      await this.execute(generation, request, abort.signal);
    });
  }

  /** Plain data for the UI. */
  view(): RaceView {
    const model = this.model;
    return {
      phase: this.phase,
      selectedModel: this.selected,
      model: model
        ? {
            name: model.name,
            title: titleOf(model.name),
            domain: modelEntry(model.name)?.domain ?? 'prose',
            mtpDepth: model.weights.config.mtp_depth,
            maxSeqLen: model.weights.config.max_seq_len,
            noRepeatNgram: model.decoding.noRepeatNgram,
          }
        : undefined,
      loading: this.loading,
      backend: this.backend ? { kind: this.backend.kind, label: this.backend.label } : undefined,
      device: this.device,
      deviceNotices: this.deviceNotices,
      runNotices: this.runNotices,
      prompt: this.promptView,
      depth: this.depth,
      tree: this.tree && treeSetting(this.tree),
      maxTokens: this.maxTokens,
      temperature: this.temperature,
      seed: this.seed,
      baseline: this.sides?.baseline.view(),
      mtp: this.sides?.mtp.view(),
      speedup: this.sides ? speedup(this.sides.baseline.metrics.snapshot(), this.sides.mtp.metrics.snapshot()) : null,
      result: this.result,
      profiler: this.profiles.view(this.profileConditions()),
    };
  }

  /**
   * Takes one profiled MTP step (and the cost curve T(M)) on the MTP engine, when no run is in
   * progress: with the latest run's prompt and depth, or the model's first preset at its full depth
   * before any run. Steps accumulate in `view().profiler.steps` (the latest PROFILE_HISTORY).
   * Does nothing when `view().profiler.available` is false. The profiled step commits the main
   * model's tokens as they come, without the no-repeat rule: it times a step, it does not write text.
   */
  profileStep(): Promise<void> {
    if (this.profiles.unavailable(this.profileConditions()) !== undefined) return Promise.resolve();
    const backend = this.backend!;
    const model = this.model!;
    const config = model.weights.config;
    const depth = this.depth ?? config.mtp_depth;
    const firstPreset = modelEntry(model.name)?.presets[0]?.text ?? '';
    const prompt =
      this.lastPrompt ?? preparePrompt(model.tokenizer, firstPreset, { maxSeqLen: config.max_seq_len, depth, maxTokens: 16 }).tokens;
    // The latest run's draft tree (if it drafted one), profiled as such.
    const tree = this.tree;
    // Room for the warm-up step, the profiled step and the cost curve's rows.
    const room = config.max_seq_len - 2 * (depth + 1) - Math.max(4, tree ? tree.size + 1 : 0);
    const tokens = prompt.length > room ? prompt.slice(prompt.length - room) : prompt;
    this.profiles.busy = true;
    this.profiles.error = undefined;
    this.changed();
    return this.tasks.then(async () => {
      try {
        // A run may have started, or the device been lost, while this waited.
        if (this.backend !== backend || this.backendStale || this.phase === 'running') throw new Error('the engines changed; try again');
        this.profiles.add(await backend.profileStep!(tokens, depth, tree));
      } catch (e) {
        this.profiles.error = `Profiling failed: ${clause(e)}.`;
      } finally {
        this.profiles.busy = false;
        this.changed();
      }
    });
  }

  private profileConditions() {
    const b = this.backend;
    return { enginesReady: b !== undefined, canProfile: b?.profileStep !== undefined, deviceLost: this.backendStale, phase: this.phase };
  }

  /** Most tokens a run may ask for at this depth. */
  maxTokensFor(depth: number): number {
    const config = this.model?.weights.config;
    return config ? maxNewTokens(config.max_seq_len, depth) : 0;
  }

  /** The phase now (as view().phase, without building the whole view). */
  get currentPhase(): RacePhase {
    return this.phase;
  }

  /** The model's number of MTP modules, once it is loaded. */
  get mtpDepth(): number | undefined {
    return this.model?.weights.config.mtp_depth;
  }

  /** The name of the model loaded (undefined while one loads, or after a load failed). */
  get modelName(): string | undefined {
    return this.model?.name;
  }

  /** The model chosen: loaded, loading, or failed to load. */
  get selectedModel(): string {
    return this.selected;
  }

  /** For tests: the engines (to lose their device, for instance). */
  get currentBackend(): Backend | undefined {
    return this.backend;
  }

  private async execute(generation: number, request: RunRequest, signal: AbortSignal): Promise<void> {
    const model = this.model;
    if (!model) {
      this.runNotices = [{ level: 'error', text: 'The model is not loaded: choose a model, or reload the page.' }];
      this.setPhase('error');
      return;
    }
    const isCurrent = () => generation === this.generation && !signal.aborted;
    try {
      if (!this.backend || this.backendStale) {
        this.setPhase('loading');
        await this.buildBackend(model);
        if (!isCurrent()) return;
      }
      const backend = this.backend!;
      const config = model.weights.config;
      const depth = runDepth(request.depth, config.mtp_depth);
      const prepared = preparePrompt(model.tokenizer, request.text, { maxSeqLen: config.max_seq_len, depth, maxTokens: request.maxTokens });
      const cut = prepared.keptTokens < prepared.textTokens;
      this.lastPrompt = prepared.tokens;
      this.promptView = { text: model.tokenizer.decode(prepared.tokens.slice(1)), cut };
      this.depth = depth;
      this.maxTokens = prepared.maxTokens;
      const temperature = runTemperature(request.temperature);
      const seed = temperature > 0 ? (request.seed ?? freshSeed()) : null;
      this.temperature = temperature;
      this.seed = seed;
      this.runNotices = prepared.notes.map((text) => ({ level: 'info', text }));
      this.result = undefined;
      // Both sides sample from the same seed; their texts still differ (MTP consumes more draws a step).
      const sampling = seed === null ? undefined : { temperature, seed };
      // Greedy text from a small model loops; the model card's rule keeps it readable, and lossless.
      const noRepeatNgram = sampling ? 0 : model.decoding.noRepeatNgram;
      // A draft tree, shaped by the model card's measured coverage; greedy only.
      const treeRows = runTreeRows(request.tree);
      if (treeRows && sampling)
        this.runNotices.push({
          level: 'info',
          text: 'Draft trees are greedy only: this sampling run drafts a chain (one candidate a depth).',
        });
      const tree = treeRows && !sampling ? draftTreeFor(model.decoding.treeCoverage, treeRows, depth) : undefined;
      this.tree = tree;
      const sideOptions = { maxTokens: prepared.maxTokens, signal, now: this.options.clock.now, sampling, noRepeatNgram };
      const baseline = new Side('baseline', backend.baseline, backend.label, 0, model.tokenizer, sideOptions);
      const mtp = new Side('mtp', backend.mtp, backend.label, depth, model.tokenizer, { ...sideOptions, tree });
      this.sides = { baseline, mtp };
      this.setPhase('running');

      for (const side of [baseline, mtp]) {
        await this.options.clock.waitVisible(signal);
        if (!isCurrent()) return;
        await side.prefill(prepared.tokens);
        this.changed();
      }
      for (;;) {
        await this.options.clock.waitVisible(signal);
        if (!isCurrent()) return;
        const open = [baseline, mtp].filter((s) => !s.stopped);
        if (open.length === 0) break;
        // The side that has used less step time goes next (the baseline on a tie).
        const next = open.reduce((a, b) => (b.decodeMs < a.decodeMs ? b : a));
        await next.step();
        this.changed();
        await this.yieldTask();
      }
      if (!isCurrent()) return;
      this.result = {
        prompt: { text: request.text, tokens: prepared.tokens, textTokens: prepared.textTokens, keptTokens: prepared.keptTokens },
        depth,
        tree: tree ? treeSetting(tree) : null,
        maxTokens: prepared.maxTokens,
        temperature,
        seed,
        noRepeatNgram,
        backend: backend.kind,
        engine: backend.label,
        baseline: baseline.result(),
        mtp: mtp.result(),
        speedup: speedup(baseline.metrics.snapshot(), mtp.metrics.snapshot()),
      };
      this.setPhase('done');
    } catch (e) {
      if (!isCurrent()) return;
      const lostNote = this.backendStale ? ' The engines will be rebuilt on a new device at the next Run.' : '';
      this.runNotices = [...this.runNotices, { level: 'error', text: `The run failed: ${clause(e)}.${lostNote}` }];
      this.setPhase('error');
    }
  }

  private async buildBackend(model: Model): Promise<void> {
    this.backend?.dispose();
    this.backend = undefined;
    this.backendStale = false;
    this.device = { state: 'loading' };
    this.changed();
    const backend = await this.options.createBackend(model.weights);
    this.backend = backend;
    this.device = backend.report ? { state: 'done', report: backend.report } : { state: 'error', failure: backend.failure };
    this.deviceNotices = backendNotices(backend);
    void backend.lost.then((why) => {
      if (this.backend !== backend) return;
      this.backendStale = true;
      this.device = { state: 'error', failure: { reason: 'lost', message: why } };
      this.deviceNotices = [lostDeviceNotice(why)];
      this.changed();
    });
  }

  private setPhase(phase: RacePhase): void {
    this.phase = phase;
    this.changed();
  }

  private changed(): void {
    this.options.onChange?.();
  }
}

/** A tree as the view shows it: its verify rows and candidates per depth. */
function treeSetting(tree: DraftTree): TreeSetting {
  return { rows: tree.size + 1, shape: tree.describe() };
}

/** What the page calls a model: its catalogue title (its name, for one not in the catalogue). */
function titleOf(name: string): string {
  return modelEntry(name)?.title ?? name;
}
