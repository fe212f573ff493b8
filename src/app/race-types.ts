// The race's plain data: what the controller (race.ts) shows the page through view(), what a finished
// run measured (RaceResult, also on the page for tests and tools), and what a run is asked for. No
// behaviour here; the UI reads these and nothing else of the controller.
import type { MetricsSnapshot } from '../decode/metrics.ts';
import type { StopReason } from '../decode/decode-run.ts';
import type { DeviceReport } from '../gpu/device.ts';
import type { ModelEntry } from '../model/catalogue.ts';
import type { LoadedWeights } from '../model/weights.ts';
import type { Backend, DeviceFailure, Model } from './backend.ts';
import type { ProfiledStep } from './profile.ts';
import type { VisibleClock } from './visible-clock.ts';

export type RacePhase = 'idle' | 'loading' | 'running' | 'done' | 'error';
export type SideId = 'baseline' | 'mtp';

/** A run of generated text: `draft` 0 = the main model's own token, k = a draft accepted at position k. */
export interface Segment {
  text: string;
  draft: number;
}

/** The MTP side's last draft-tree step, for the page: per depth its candidates, decoded. */
export interface TreePicture {
  /** Changes with every tree step. */
  id: number;
  /** depths[d - 1]: the candidates at depth d, in the tree's order (by parent, then rank). */
  depths: {
    text: string;
    /** 0: its drafter's best. */
    rank: number;
    /** The main model kept it (it is on the accepted path). */
    kept: boolean;
    /** Its parent was kept: one of the candidates the main model chose among at this depth. */
    offered: boolean;
  }[][];
  /** Drafts the step kept. */
  kept: number;
  /** Drafts a chain (each depth's best candidate only) would have kept. */
  chainKept: number;
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
  /** The last draft-tree step (MTP side of a tree run). */
  tree?: TreePicture;
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
  /** The draft tree the MTP side drafted (null: the chain of `depth`). */
  tree: TreeSetting | null;
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

/** A run's draft tree: its verify rows (root included) and candidates per depth ("3-5-7"). */
export interface TreeSetting {
  rows: number;
  shape: string;
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

/** The model on show: its catalogue entry's name, title and domain, and its shape. */
export interface ModelView {
  name: string;
  title: string;
  domain: ModelEntry['domain'];
  /** Its number of MTP modules D: the deepest draft. */
  mtpDepth: number;
  maxSeqLen: number;
  /** Greedy runs' no-repeat n-gram rule (0: off), from the model card. */
  noRepeatNgram: number;
  /** Its files came from the copies kept at an earlier visit. */
  fromCache: boolean;
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
  phase: RacePhase;
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
  /** The current run's draft tree (absent: the chain). */
  tree?: TreeSetting;
  maxTokens?: number;
  /** The current run's temperature (0: greedy) and seed (null when greedy). */
  temperature?: number;
  seed?: number | null;
  baseline?: SideView;
  mtp?: SideView;
  speedup: number | null;
  /** How the run on show is shown (absent before a run): its pace, the slow-motion factor once chosen, and
   * whether the race has ended while the replay goes on. */
  pace?: { kind: Pace['kind']; factor: number | undefined; replaying: boolean };
  result?: RaceResult;
  profiler: ProfilerView;
}

/** How a race is shown: at its measured pace, in slow motion by a fixed factor, or by Auto's choice (src/app/replay.ts). */
export type Pace = { kind: 'auto' } | { kind: 'live' } | { kind: 'fixed'; factor: number };

export interface RunRequest {
  text: string;
  depth: number;
  /** Verify rows of a draft tree (root included); 0 or absent: the chain. Greedy runs only. */
  tree?: number;
  maxTokens: number;
  /** 0 or absent: greedy. Otherwise clamped to (0, MAX_TEMPERATURE]. */
  temperature?: number;
  /** Seed when sampling; absent: a fresh random one each run. */
  seed?: number;
  /** How the page shows the race (src/app/replay.ts); absent: live. */
  pace?: Pace;
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
  /** Forgets the model files kept for the next visit (the page's "Forget downloaded models"). */
  forgetDownloads?: () => Promise<void>;
}
