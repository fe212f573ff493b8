// One race run: a request turned into the run's settings (the prompt fitted to the context, the
// depth, the draft tree, the temperature and seed, the no-repeat rule), the two sides built on the
// backend's engines, and the race itself. The controller (race.ts) shows what a run holds and
// decides which run is current; this file knows nothing of models being switched.
//
// Fair scheduling: the next step always goes to the side that has used less step time so far
// (measured), so the text you see grow matches the measured throughputs. While the page is hidden,
// stepping pauses and the step clock stops (see visible-clock.ts).
import { speedup } from '../decode/metrics.ts';
import { preparePrompt, type PreparedPrompt } from '../decode/prompt.ts';
import { freshSeed, runDepth, runTemperature, runTreeRows } from '../decode/run-options.ts';
import { draftTreeFor, type DraftTree } from '../model/draft-tree.ts';
import type { Backend, Model } from './backend.ts';
import { Side } from './race-side.ts';
import type { Notice, RaceResult, RunRequest, TreeSetting } from './race-types.ts';
import type { VisibleClock } from './visible-clock.ts';

/** What a run was set to, as the view shows it (kept after the run, until the model changes). */
export interface RunSettings {
  /** The prompt's tokens (the boundary token first), for profiles. */
  promptTokens: number[];
  depth: number;
  /** The MTP side's draft tree, absent for a chain. */
  tree?: DraftTree;
  maxTokens: number;
  /** 0: greedy. */
  temperature: number;
  /** The seed both sides sample with; null when greedy. */
  seed: number | null;
}

export interface RaceRunEnvironment {
  clock: VisibleClock;
  /** Lets the page render between steps. */
  yieldTask: () => Promise<void>;
  /** Called after each step and prefill. */
  changed: () => void;
}

export class RaceRun {
  readonly settings: RunSettings;
  readonly prompt: { text: string; cut: boolean };
  /** Notes on what the request became (a prompt cut to fit, a tree not drafted). */
  readonly notes: Notice[];
  readonly sides: { baseline: Side; mtp: Side };
  private readonly prepared: PreparedPrompt;
  private readonly noRepeatNgram: number;

  /** The settings and sides of `request` on `backend`'s engines; nothing runs yet. */
  constructor(
    model: Model,
    private readonly backend: Backend,
    private readonly request: RunRequest,
    private readonly signal: AbortSignal,
    private readonly env: RaceRunEnvironment,
  ) {
    const config = model.weights.config;
    const depth = runDepth(request.depth, config.mtp_depth);
    const prepared = preparePrompt(model.tokenizer, request.text, { maxSeqLen: config.max_seq_len, depth, maxTokens: request.maxTokens });
    this.prepared = prepared;
    this.prompt = { text: model.tokenizer.decode(prepared.tokens.slice(1)), cut: prepared.keptTokens < prepared.textTokens };
    this.notes = prepared.notes.map((text) => ({ level: 'info', text }));
    const temperature = runTemperature(request.temperature);
    const seed = temperature > 0 ? (request.seed ?? freshSeed()) : null;
    // Both sides sample from the same seed; their texts still differ (MTP consumes more draws a step).
    const sampling = seed === null ? undefined : { temperature, seed };
    // Greedy text from a small model loops; the model card's rule keeps it readable, and lossless.
    this.noRepeatNgram = sampling ? 0 : model.decoding.noRepeatNgram;
    // A draft tree, shaped by the model card's measured coverage; greedy only.
    const treeRows = runTreeRows(request.tree);
    if (treeRows && sampling)
      this.notes.push({ level: 'info', text: 'Draft trees are greedy only: this sampling run drafts a chain (one candidate a depth).' });
    const tree = treeRows && !sampling ? draftTreeFor(model.decoding.treeCoverage, treeRows, depth) : undefined;
    this.settings = { promptTokens: prepared.tokens, depth, tree, maxTokens: prepared.maxTokens, temperature, seed };
    const sideOptions = { maxTokens: prepared.maxTokens, signal, now: env.clock.now, sampling, noRepeatNgram: this.noRepeatNgram };
    this.sides = {
      baseline: new Side('baseline', backend.baseline, backend.label, 0, model.tokenizer, sideOptions),
      mtp: new Side('mtp', backend.mtp, backend.label, depth, model.tokenizer, { ...sideOptions, tree }),
    };
  }

  /**
   * Prefills both sides, then steps them fairly until both stop. Returns the result, or undefined
   * once `isCurrent` says the run was overtaken (it stops after the step in flight).
   */
  async race(isCurrent: () => boolean): Promise<RaceResult | undefined> {
    const { baseline, mtp } = this.sides;
    const { clock, changed, yieldTask } = this.env;
    for (const side of [baseline, mtp]) {
      await clock.waitVisible(this.signal);
      if (!isCurrent()) return undefined;
      await side.prefill(this.prepared.tokens);
      changed();
    }
    for (;;) {
      await clock.waitVisible(this.signal);
      if (!isCurrent()) return undefined;
      const open = [baseline, mtp].filter((s) => !s.stopped);
      if (open.length === 0) break;
      // The side that has used less step time goes next (the baseline on a tie).
      const next = open.reduce((a, b) => (b.decodeMs < a.decodeMs ? b : a));
      await next.step();
      changed();
      await yieldTask();
    }
    if (!isCurrent()) return undefined;
    const { depth, tree, maxTokens, temperature, seed } = this.settings;
    const p = this.prepared;
    return {
      prompt: { text: this.request.text, tokens: p.tokens, textTokens: p.textTokens, keptTokens: p.keptTokens },
      depth,
      tree: tree ? treeSetting(tree) : null,
      maxTokens,
      temperature,
      seed,
      noRepeatNgram: this.noRepeatNgram,
      backend: this.backend.kind,
      engine: this.backend.label,
      baseline: baseline.result(),
      mtp: mtp.result(),
      speedup: this.speedup(),
    };
  }

  /** The measured speedup so far (null before both sides have stepped). */
  speedup(): number | null {
    return speedup(this.sides.baseline.metrics.snapshot(), this.sides.mtp.metrics.snapshot());
  }
}

/** A tree as the view shows it: its verify rows and candidates per depth. */
export function treeSetting(tree: DraftTree): TreeSetting {
  return { rows: tree.size + 1, shape: tree.describe() };
}
