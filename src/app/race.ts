// The race controller: the same prompt decoded by the baseline (one token a step) and by MTP
// speculative decoding, on two engines of one device. Greedy by default (both texts must then be
// identical); with a temperature both sides sample, from one seed per run, and their texts are two
// draws from the same distribution. One run (src/app/race-run.ts) is on show at a time, of one
// model (src/app/model-session.ts).
//
// Runs, model loads and profiles go one after the other on one task chain: only one step is ever
// in flight. A new run aborts the old one and waits for its current step before it starts.
// Choosing another model (`selectModel`) goes the same way: the run in progress stops after its
// current step, a load still downloading is aborted, then the old engines are disposed and the new
// model's are built. Nothing of the old model (text, figures, profiled steps) stays on show.
//
// The UI only reads `view()` (plain data) and calls `run()`. The controller calls `onChange`
// after every change; the page coalesces those per frame.
import { speedup } from '../decode/metrics.ts';
import { maxNewTokens, preparePrompt } from '../decode/prompt.ts';
import { modelEntry, unknownModelMessage } from '../model/catalogue.ts';
import { clause } from '../model/errors.ts';
import type { Backend } from './backend.ts';
import { ModelSession, titleOf } from './model-session.ts';
import { ProfileLog } from './profile-log.ts';
import { RaceRun, treeSetting, type RunSettings } from './race-run.ts';
import { Replay } from './replay.ts';
import type { Notice, RaceControllerOptions, RacePhase, RaceResult, RaceView, RunRequest, SideView } from './race-types.ts';
import { TaskChain } from './task-chain.ts';

/** How often a replay that waits (a hidden page stops its clock) looks again. */
const REPLAY_POLL_MS = 250;

/** Resolves after `ms`, or at once when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

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
  private readonly session: ModelSession;
  private runNotices: Notice[] = [];
  /** The run on show (its text and figures), absent before a run and once the engines changed. */
  private current?: RaceRun;
  /** How the run on show is shown: live, or replayed in slow motion (src/app/replay.ts). */
  private replay?: Replay;
  /** The run on show is still computing (its replay may go on after). */
  private racing = false;
  /** The latest run's settings, kept on show until another model is chosen. */
  private settings?: RunSettings;
  private result?: RaceResult;
  /** Runs, loads and profiles, one after the other. */
  private readonly tasks = new TaskChain();
  private abort?: AbortController;
  private generation = 0;
  private readonly yieldTask: () => Promise<void>;
  private readonly profiles = new ProfileLog();

  constructor(private readonly options: RaceControllerOptions) {
    this.yieldTask = options.yieldTask ?? macrotask;
    this.session = new ModelSession(options, () => this.changed());
  }

  /**
   * Loads the chosen model (at first `options.model`) and builds the engines; the page is 'idle'
   * (ready) after it, or 'error'.
   */
  start(): Promise<void> {
    return this.reload(this.session.selected);
  }

  /**
   * Loads the model and builds the engines again, with whatever `loadModel` and `createBackend`
   * do now (the dev server's hot reload calls this once shader or engine code changed). A run in
   * progress is cancelled first and the last run's text and figures are cleared (they came from
   * the old engines); the profiled steps stay, to compare. `note` is shown once it is ready.
   */
  restart(note?: string): Promise<void> {
    return this.reload(this.session.selected, note);
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
    if (this.session.holds(name)) return Promise.resolve();
    return this.reload(name);
  }

  /** The serialised hand-over of start(), restart() and selectModel(). */
  private reload(name: string, note?: string): Promise<void> {
    const other = name !== this.session.selected;
    // The run in progress stops after its current step; a load under way is abandoned at once.
    this.generation++;
    this.abort?.abort();
    this.abort = undefined;
    const signal = this.session.begin(name);
    // Cleared now, so that nothing of the old engines is on show while they finish their step.
    this.forget(other);
    this.setPhase('loading');
    return this.tasks.then(async () => {
      if (signal.aborted) return;
      // Nothing is in flight now; and again, for what the step (or a profile) left behind.
      this.forget(other);
      const outcome = await this.session.load(name, signal);
      if (outcome.ready) {
        const storeNote = this.session.model?.storeNote;
        this.runNotices = [note, storeNote].filter((t) => t !== undefined).map((text) => ({ level: 'info', text }));
        this.setPhase('idle');
      } else if (!outcome.overtaken) {
        this.runNotices = [{ level: 'error', text: `Could not load the model ${name}: ${clause(outcome.error)}.` }];
        this.setPhase('error');
      }
    });
  }

  /** Drops the last run's text and figures; with `model`, what only that model could use too. */
  private forget(model: boolean): void {
    this.current = undefined;
    this.replay = undefined;
    this.result = undefined;
    this.runNotices = [];
    if (!model) return;
    this.settings = undefined;
    this.profiles.clear();
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

  /** Forgets the model files kept for the next visit; says so (or why not). */
  async forgetDownloads(): Promise<void> {
    try {
      await this.options.forgetDownloads?.();
      this.runNotices = [{ level: 'info', text: 'Downloaded models forgotten: the next load of a model downloads it again.' }];
    } catch (e) {
      this.runNotices = [{ level: 'error', text: `Could not forget the downloaded models: ${clause(e)}.` }];
    }
    this.changed();
  }

  /** Plain data for the UI. */
  view(): RaceView {
    const { model, backend } = this.session;
    const s = this.settings;
    const shown = this.shownSides();
    return {
      phase: this.phase,
      selectedModel: this.session.selected,
      model: model
        ? {
            name: model.name,
            title: titleOf(model.name),
            domain: modelEntry(model.name)?.domain ?? 'prose',
            mtpDepth: model.weights.config.mtp_depth,
            maxSeqLen: model.weights.config.max_seq_len,
            noRepeatNgram: model.decoding.noRepeatNgram,
            fromCache: model.fromCache ?? false,
          }
        : undefined,
      loading: this.session.loading,
      backend: backend ? { kind: backend.kind, label: backend.label } : undefined,
      device: this.session.device,
      deviceNotices: this.session.deviceNotices,
      runNotices: this.runNotices,
      prompt: this.current?.prompt,
      depth: s?.depth,
      tree: s?.tree && treeSetting(s.tree),
      maxTokens: s?.maxTokens,
      temperature: s?.temperature,
      seed: s?.seed,
      baseline: shown?.baseline,
      mtp: shown?.mtp,
      speedup: shown?.baseline && shown.mtp ? speedup(shown.baseline.metrics, shown.mtp.metrics) : null,
      pace: this.replay && { kind: this.replay.pace.kind, factor: this.replay.factor, replaying: this.phase === 'running' && !this.racing },
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
    const backend = this.session.backend!;
    const model = this.session.model!;
    const config = model.weights.config;
    const depth = this.settings?.depth ?? config.mtp_depth;
    const firstPreset = modelEntry(model.name)?.presets[0]?.text ?? '';
    const prompt =
      this.settings?.promptTokens ??
      preparePrompt(model.tokenizer, firstPreset, { maxSeqLen: config.max_seq_len, depth, maxTokens: 16 }).tokens;
    // The latest run's draft tree (if it drafted one), profiled as such.
    const tree = this.settings?.tree;
    // Room for the warm-up step, the profiled step and the cost curve's rows.
    const room = config.max_seq_len - 2 * (depth + 1) - Math.max(4, tree ? tree.size + 1 : 0);
    const tokens = prompt.length > room ? prompt.slice(prompt.length - room) : prompt;
    this.profiles.busy = true;
    this.profiles.error = undefined;
    this.changed();
    return this.tasks.then(async () => {
      try {
        // A run may have started, or the device been lost, while this waited.
        if (this.session.backend !== backend || this.session.deviceLost || this.phase === 'running')
          throw new Error('the engines changed; try again');
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
    const b = this.session.backend;
    return {
      enginesReady: b !== undefined,
      canProfile: b?.profileStep !== undefined,
      deviceLost: this.session.deviceLost,
      phase: this.phase,
    };
  }

  /** Most tokens a run may ask for at this depth. */
  maxTokensFor(depth: number): number {
    const config = this.session.model?.weights.config;
    return config ? maxNewTokens(config.max_seq_len, depth) : 0;
  }

  /** Each side's view on show: as it is now, or as the slow-motion replay has got to. */
  private shownSides(): { baseline?: SideView; mtp?: SideView } | undefined {
    const run = this.current;
    if (!run) return undefined;
    if (this.replay && this.replay.factor !== 1) return this.replay.frame();
    return { baseline: run.sides.baseline.view(), mtp: run.sides.mtp.view() };
  }

  /** The race of the run on show is computing (false once it has ended, while its replay goes on). */
  get computing(): boolean {
    return this.racing;
  }

  /** The phase now (as view().phase, without building the whole view). */
  get currentPhase(): RacePhase {
    return this.phase;
  }

  /** The model's number of MTP modules, once it is loaded. */
  get mtpDepth(): number | undefined {
    return this.session.model?.weights.config.mtp_depth;
  }

  /** The name of the model loaded (undefined while one loads, or after a load failed). */
  get modelName(): string | undefined {
    return this.session.model?.name;
  }

  /** The model chosen: loaded, loading, or failed to load. */
  get selectedModel(): string {
    return this.session.selected;
  }

  /** For tests: the engines (to lose their device, for instance). */
  get currentBackend(): Backend | undefined {
    return this.session.backend;
  }

  private async execute(generation: number, request: RunRequest, signal: AbortSignal): Promise<void> {
    const model = this.session.model;
    if (!model) {
      this.runNotices = [{ level: 'error', text: 'The model is not loaded: choose a model, or reload the page.' }];
      this.setPhase('error');
      return;
    }
    const isCurrent = () => generation === this.generation && !signal.aborted;
    try {
      if (!this.session.backend || this.session.deviceLost) {
        this.setPhase('loading');
        await this.session.buildBackend(model);
        if (!isCurrent()) return;
      }
      const clock = this.options.clock;
      // Each side's view is recorded at its measured decode time, for a slow-motion replay.
      const record = () => {
        for (const side of [run.sides.baseline, run.sides.mtp]) replay.record(side.id, side.decodeMs, side.view());
        this.changed();
      };
      const run = new RaceRun(model, this.session.backend!, request, signal, { clock, yieldTask: this.yieldTask, changed: record });
      const replay = new Replay(request.pace ?? { kind: 'live' }, clock.now, run.settings.maxTokens);
      record();
      this.current = run;
      this.replay = replay;
      this.settings = run.settings;
      this.runNotices = [...run.notes];
      this.result = undefined;
      this.racing = true;
      this.setPhase('running');
      const result = await run.race(isCurrent).finally(() => (this.racing = false));
      if (!result) return;
      replay.finish();
      // The race is over at full speed; what the page shows catches up at the replay's pace.
      while (!replay.caughtUp) {
        // A millisecond past the due time: a timer may fire a little before performance.now() says it is due.
        await delay(Math.min((replay.nextDueInMs() ?? REPLAY_POLL_MS) + 1, REPLAY_POLL_MS), signal);
        if (!isCurrent()) return;
        this.changed();
      }
      this.result = result;
      this.setPhase('done');
    } catch (e) {
      if (!isCurrent()) return;
      const lostNote = this.session.deviceLost ? ' The engines will be rebuilt on a new device at the next Run.' : '';
      this.runNotices = [...this.runNotices, { level: 'error', text: `The run failed: ${clause(e)}.${lostNote}` }];
      this.setPhase('error');
    }
  }

  private setPhase(phase: RacePhase): void {
    this.phase = phase;
    this.changed();
  }

  private changed(): void {
    this.options.onChange?.();
  }
}
