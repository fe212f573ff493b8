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
import { errorMessage } from '../model/errors.ts';
import { GreedyRun, type SamplingOptions, type StepEvent, type StopReason } from '../decode/greedy.ts';
import { RunMetrics, speedup, type MetricsSnapshot } from '../decode/metrics.ts';
import { DEFAULT_MODEL, modelEntry, unknownModelMessage, type ModelEntry } from '../model/catalogue.ts';
import type { DecodeEngine } from '../model/decode-engine.ts';
import type { StreamDecoder, Tokenizer } from '../model/tokenizer.ts';
import type { LoadedWeights } from '../model/weights.ts';
import type { Backend, DeviceFailure, Model } from './backend.ts';
import type { ProfiledStep } from './profile.ts';
import { maxNewTokens, preparePrompt } from '../decode/prompt.ts';
import type { VisibleClock } from './visible-clock.ts';
import type { DeviceReport } from '../gpu/device.ts';

export type Phase = 'idle' | 'loading' | 'running' | 'done' | 'error';
export type SideId = 'baseline' | 'mtp';

/** A run of generated text: `draft` 0 = the main model's own token, k = a draft accepted at position k. */
export interface Segment {
  text: string;
  draft: number;
}

export interface SideView {
  id: SideId;
  depth: number;
  engine: string;
  segments: Segment[];
  /** The generated text so far (the segments' text joined). */
  text: string;
  /** Drafts the last step threw away, decoded; `id` changes with every step that had some. */
  rejected?: { id: number; text: string };
  metrics: MetricsSnapshot;
  stop?: StopReason;
}

export interface Notice {
  level: 'info' | 'warn' | 'error';
  text: string;
}

export interface SideResult {
  text: string;
  tokens: number[];
  stop: StopReason;
  metrics: MetricsSnapshot;
}

/** Everything a finished run measured (the page exposes it for tests and tools). */
export interface RaceResult {
  prompt: { text: string; tokens: number[]; textTokens: number; keptTokens: number };
  depth: number;
  maxTokens: number;
  /** 0: greedy. */
  temperature: number;
  /** Greedy: the no-repeat n-gram rule's n both sides applied (0: off); 0 when sampling. */
  noRepeatNgram: number;
  /** The seed both sides sampled with (null when greedy): the run can be repeated with it. */
  seed: number | null;
  backend: 'webgpu' | 'cpu';
  engine: string;
  baseline: SideResult;
  mtp: SideResult;
  speedup: number | null;
}

/** The profiler panel's data: the profiled steps so far (newest last) and whether one can be taken now. */
export interface ProfilerView {
  /** A step can be profiled now: WebGPU engines, no run in progress, no profile in flight. */
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
  busy: boolean;
  steps: readonly ProfiledStep[];
  error?: string;
}

/** Profiled steps kept (the oldest go first), so a page left open for hours stays the same size. */
export const PROFILE_HISTORY = 20;

/** The prompt a profile uses before any run (after one, the last run's prompt). */
export const PROFILE_PROMPT = 'The jury said that the city';

/** The model on show: its catalogue entry's name, title and domain, and its shape. */
export interface ModelView {
  name: string;
  title: string;
  domain: ModelEntry['domain'];
  /** Its number of MTP modules D: the deepest draft. */
  maxDepth: number;
  maxSeqLen: number;
  /** Greedy runs' no-repeat n-gram rule (0: off), from the model card. */
  noRepeatNgram: number;
}

/** A model being loaded: which, and how many bytes of its weights have arrived. */
export interface ModelLoading {
  name: string;
  title: string;
  received: number;
  /** The weights' size, when the server said (content-length). */
  total?: number;
}

export interface RaceView {
  phase: Phase;
  /** The model chosen (a catalogue name): loaded, loading, or failed to load. */
  selectedModel: string;
  /** The model loaded; absent while one loads or after a load failed. */
  model?: ModelView;
  /** While a model loads. */
  loading?: ModelLoading;
  backend?: { kind: 'webgpu' | 'cpu'; label: string };
  /** 'skipped': no device was asked for, because the model did not load (not the GPU's fault). */
  device: { state: 'loading' | 'done' | 'error' | 'skipped'; report?: DeviceReport; failure?: DeviceFailure };
  /** About the device and the engines (they outlive runs). */
  deviceNotices: Notice[];
  /** About the current run: what was done to the prompt, errors. */
  runNotices: Notice[];
  /** The prompt as the model sees it (decoded; the start cut when the prompt was too long). */
  prompt?: { text: string; cut: boolean };
  depth?: number;
  maxTokens?: number;
  /** The current run's temperature (0: greedy) and seed (null when greedy). */
  temperature?: number;
  seed?: number | null;
  baseline?: SideView;
  mtp?: SideView;
  speedup: number | null;
  result?: RaceResult;
  profiler: ProfilerView;
}

export interface RunRequest {
  text: string;
  depth: number;
  maxTokens: number;
  /** 0 or absent: greedy. Otherwise clamped to (0, MAX_TEMPERATURE]. */
  temperature?: number;
  /** Seed when sampling; absent: a fresh random one each run. */
  seed?: number;
}

/** The hottest temperature the race allows (beyond it the tiny model's text is noise). */
export const MAX_TEMPERATURE = 2;

/** The run's temperature: 0 (greedy) for absent, non-finite or non-positive; else at most MAX_TEMPERATURE. */
export function runTemperature(t: number | undefined): number {
  return t !== undefined && Number.isFinite(t) && t > 0 ? Math.min(t, MAX_TEMPERATURE) : 0;
}

/** A fresh 32-bit seed (crypto where there is one). */
function freshSeed(): number {
  return globalThis.crypto?.getRandomValues ? globalThis.crypto.getRandomValues(new Uint32Array(1))[0] : Math.floor(Math.random() * 2 ** 32);
}

/** What a model load is told besides the name. */
export interface LoadHooks {
  /** Bytes of the weights received so far, and their total when known. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Aborted when another model is chosen before this one has loaded. */
  signal: AbortSignal;
}

export interface RaceControllerOptions {
  /** Loads a shipped model by its catalogue name (the page: public/models/<name>.*). */
  loadModel: (name: string, hooks: LoadHooks) => Promise<Model>;
  /** The model start() loads (default: the catalogue's first, DEFAULT_MODEL). */
  model?: string;
  createBackend: (weights: LoadedWeights) => Promise<Backend>;
  clock: VisibleClock;
  onChange?: () => void;
  /** Lets the page render between steps (a macrotask by default). */
  yieldTask?: () => Promise<void>;
}

/** A macrotask: the CPU engine's steps never await anything real, and the page must still paint. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(0);
  });
}

/** Numbers the rejected-draft flashes across runs, so each one is a new element (and animation). */
let flashes = 0;

class Side {
  readonly metrics: RunMetrics;
  readonly run: GreedyRun;
  private readonly decoder: StreamDecoder;
  private segments: Segment[] = [];
  private text = '';
  private rejected?: { id: number; text: string };

  constructor(
    readonly id: SideId,
    engine: DecodeEngine,
    private readonly engineLabel: string,
    readonly depth: number,
    private readonly tokenizer: Tokenizer,
    options: { maxTokens: number; signal: AbortSignal; now: () => number; sampling?: SamplingOptions; noRepeatNgram: number },
  ) {
    this.metrics = new RunMetrics(depth);
    this.decoder = tokenizer.streamDecoder();
    this.run = new GreedyRun(engine, { ...options, depth, endOfText: tokenizer.endOfText });
  }

  async prefill(prompt: readonly number[]): Promise<void> {
    await this.run.prefill(prompt);
    this.metrics.setPrefill(this.run.prefillMs, this.run.tokens.length);
    this.append(this.run.tokens, 0);
    this.finishIfStopped();
  }

  async step(): Promise<StepEvent | undefined> {
    const event = await this.run.step();
    if (!event) return undefined;
    this.metrics.add(event);
    this.append(event.tokens, event.accepted);
    const cutShort = event.tokens.length <= event.accepted;
    const thrown = cutShort ? [] : event.drafts.slice(event.accepted);
    if (thrown.length > 0) {
      const text = thrown.map((t) => (t === this.tokenizer.endOfText ? '<|endoftext|>' : this.tokenizer.decode([t]))).join('');
      this.rejected = { id: ++flashes, text };
    }
    this.finishIfStopped();
    return event;
  }

  get stopped(): boolean {
    return this.run.stop !== undefined;
  }

  get decodeMs(): number {
    return this.run.decodeMs;
  }

  view(): SideView {
    return {
      id: this.id,
      depth: this.depth,
      engine: this.engineLabel,
      segments: this.segments.map((s) => ({ ...s })),
      text: this.text,
      rejected: this.rejected,
      metrics: this.metrics.snapshot(),
      stop: this.run.stop,
    };
  }

  result(): SideResult {
    return { text: this.text, tokens: [...this.run.tokens], stop: this.run.stop!, metrics: this.metrics.snapshot() };
  }

  private append(tokens: readonly number[], accepted: number): void {
    tokens.forEach((t, i) => this.push(this.decoder.push([t]), i < accepted ? i + 1 : 0));
  }

  private push(text: string, draft: number): void {
    if (!text) return;
    this.text += text;
    const last = this.segments[this.segments.length - 1];
    if (last && last.draft === draft) last.text += text;
    else this.segments.push({ text, draft });
  }

  private finishIfStopped(): void {
    // The end of the stream: an incomplete UTF-8 character left over becomes U+FFFD.
    if (this.run.stop && this.run.stop !== 'aborted') this.push(this.decoder.flush(), 0);
  }
}

export class RaceController {
  private phase: Phase = 'idle';
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
  private maxTokens?: number;
  private temperature?: number;
  private seed?: number | null;
  private sides?: { baseline: Side; mtp: Side };
  private result?: RaceResult;
  /** The latest run (or the start-up), which the next run waits for. */
  private current: Promise<void> = Promise.resolve();
  private abort?: AbortController;
  private generation = 0;
  private readonly yieldTask: () => Promise<void>;
  private profiles: readonly ProfiledStep[] = [];
  private profiling = false;
  private profileError?: string;
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
   * A load of a model chosen before, still under way, is abandoned. A name not in the catalogue
   * is refused with an error notice, and nothing changes.
   */
  selectModel(name: string): Promise<void> {
    if (!modelEntry(name)) {
      this.runNotices = [{ level: 'error', text: `Could not switch models: ${unknownModelMessage(name)}.` }];
      this.changed();
      return Promise.resolve();
    }
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
    const previous = this.current;
    const task = (async () => {
      await previous.catch(() => {});
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
    })();
    this.current = task;
    return task;
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
    this.maxTokens = undefined;
    this.temperature = undefined;
    this.seed = undefined;
    this.profiles = [];
    this.profileError = undefined;
  }

  private async load(name: string, signal: AbortSignal): Promise<void> {
    const title = titleOf(name);
    this.loading = { name, title, received: 0 };
    this.setPhase('loading');
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
      this.runNotices = [{ level: 'error', text: `Could not load the model ${name}: ${message(e)}.` }];
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
    const previous = this.current;
    const task = (async () => {
      await previous.catch(() => {});
      if (abort.signal.aborted) return;
      await this.execute(generation, request, abort.signal);
    })();
    this.current = task;
    return task;
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
            maxDepth: model.weights.config.mtp_depth,
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
      maxTokens: this.maxTokens,
      temperature: this.temperature,
      seed: this.seed,
      baseline: this.sides?.baseline.view(),
      mtp: this.sides?.mtp.view(),
      speedup: this.sides ? speedup(this.sides.baseline.metrics.snapshot(), this.sides.mtp.metrics.snapshot()) : null,
      result: this.result,
      profiler: this.profilerView(),
    };
  }

  /**
   * Takes one profiled MTP step (and the cost curve T(M)) on the MTP engine, when no run is in
   * progress: with the latest run's prompt and depth, or PROFILE_PROMPT before any run. Steps
   * accumulate in `view().profiler.steps` (the latest PROFILE_HISTORY). Does nothing when `view().profiler.available` is false.
   */
  profileStep(): Promise<void> {
    if (this.profilerUnavailable() !== undefined) return Promise.resolve();
    const backend = this.backend!;
    const model = this.model!;
    const config = model.weights.config;
    const depth = this.depth ?? config.mtp_depth;
    const prompt =
      this.lastPrompt ?? preparePrompt(model.tokenizer, PROFILE_PROMPT, { maxSeqLen: config.max_seq_len, depth, maxTokens: 16 }).tokens;
    // Room for the warm-up step, the profiled step and the cost curve's 4 rows.
    const room = config.max_seq_len - 2 * (depth + 1) - 4;
    const tokens = prompt.length > room ? prompt.slice(prompt.length - room) : prompt;
    this.profiling = true;
    this.profileError = undefined;
    this.changed();
    const previous = this.current;
    const task = (async () => {
      await previous.catch(() => {});
      try {
        // A run may have started, or the device been lost, while this waited.
        if (this.backend !== backend || this.backendStale || this.phase === 'running') throw new Error('the engines changed; try again');
        const step = await backend.profileStep!(tokens, depth);
        this.profiles = [...this.profiles, step].slice(-PROFILE_HISTORY);
      } catch (e) {
        this.profileError = `Profiling failed: ${message(e)}.`;
      } finally {
        this.profiling = false;
        this.changed();
      }
    })();
    this.current = task;
    return task;
  }

  private profilerUnavailable(): string | undefined {
    if (!this.backend || this.phase === 'loading') return 'The engines are not ready yet.';
    if (!this.backend.profileStep) return 'Profiling needs WebGPU (the race runs on the CPU reference engine).';
    if (this.backendStale) return 'The GPU device was lost; the engines are rebuilt at the next Run.';
    if (this.phase === 'running') return 'A race is running; profile when it is done.';
    if (this.profiling) return 'Profiling…';
    return undefined;
  }

  private profilerView(): ProfilerView {
    const reason = this.profilerUnavailable();
    return { available: reason === undefined, reason, busy: this.profiling, steps: this.profiles, error: this.profileError };
  }

  /** Most tokens a run may ask for at this depth. */
  maxTokensFor(depth: number): number {
    const config = this.model?.weights.config;
    return config ? maxNewTokens(config.max_seq_len, depth) : 0;
  }

  /** The phase now (as view().phase, without building the whole view). */
  get currentPhase(): Phase {
    return this.phase;
  }

  /** The model's number of MTP modules, once it is loaded. */
  get modelDepth(): number | undefined {
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
      const depth = Math.max(Math.min(1, config.mtp_depth), Math.min(config.mtp_depth, Math.floor(request.depth) || 1));
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
      const sideOptions = { maxTokens: prepared.maxTokens, signal, now: this.options.clock.now, sampling, noRepeatNgram };
      const baseline = new Side('baseline', backend.baseline, backend.label, 0, model.tokenizer, sideOptions);
      const mtp = new Side('mtp', backend.mtp, backend.label, depth, model.tokenizer, sideOptions);
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
      this.runNotices = [...this.runNotices, { level: 'error', text: `The run failed: ${message(e)}.${lostNote}` }];
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
    const why =
      backend.failure?.reason === 'engine'
        ? `${message(backend.failure.message)} (a shader error, say).`
        : backend.failure?.reason === 'hung'
          ? `${message(backend.failure.message)}.`
          : 'WebGPU is unavailable here (why: see the device report below).';
    this.deviceNotices =
      backend.kind === 'cpu'
        ? [
            {
              level: 'warn',
              text: `${why} The race runs on the ${backend.label} instead: the same decoding, in plain JavaScript, one position at a time.`,
            },
          ]
        : [];
    void backend.lost.then((why) => {
      if (this.backend !== backend) return;
      this.backendStale = true;
      this.device = { state: 'error', failure: { reason: 'lost', message: why } };
      this.deviceNotices = [{ level: 'warn', text: `${why} The engines will be rebuilt on a new device at the next Run.` }];
      this.changed();
    });
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    this.changed();
  }

  private changed(): void {
    this.options.onChange?.();
  }
}

/** What the page calls a model: its catalogue title (its name, for one not in the catalogue). */
function titleOf(name: string): string {
  return modelEntry(name)?.title ?? name;
}

function message(e: unknown): string {
  return errorMessage(e).replace(/\.$/, '');
}
