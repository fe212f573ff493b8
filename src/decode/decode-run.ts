// The decode loop: the MTP modules draft `depth` tokens, the main model verifies them in one
// step, some prefix of the drafts is accepted, plus one more token. depth = 0 is the baseline
// (one token a step).
// - Greedy (the default): the longest prefix the main model's argmax agrees with, plus the main
//   model's own next token. Because every kernel computes a row the same way whatever the block
//   size, the output equals the baseline's token for token.
// - Sampling (`sampling` with temperature > 0): drafts are drawn from the MTP modules' own
//   distributions and accepted or resampled by the speculative-sampling rule
//   (src/decode/sampling.ts), so every token is distributed exactly as the baseline's plain
//   sampling (not the same tokens: the same distribution). A run's randomness is its seed.
//
// `DecodeRun` advances one step at a time, so a caller can interleave two runs (the demo's race)
// or time each step; `decode` runs one to the end. Both modes (greedy, sampling) emit the same
// StepEvents, so metrics.ts reads either.
import { checkSampling, type DecodeEngine, type SamplingParams } from '../model/decode-engine.ts';
import { allowedArgmax, bannedNext } from './no-repeat.ts';
import { acceptOrResample, drawStepUniforms, Rng } from './sampling.ts';

export type StopReason = 'max-tokens' | 'end-of-text' | 'context-full' | 'aborted';

export interface StepEvent {
  /** Tokens committed by this step, in order (accepted drafts first, then one more), cut at
   * maxTokens and after the boundary token. */
  tokens: number[];
  /** How many of them were accepted drafts: 0..proposed, counting only drafts that were emitted
   * (a step cut short emits fewer, see stepCutShort). */
  accepted: number;
  /** Drafts proposed by this step (its depth). */
  proposed: number;
  /** The drafts themselves (the rejected ones are drafts.slice(accepted)). */
  drafts: number[];
  /** Wall-clock milliseconds of the step (engine.step + bookkeeping). */
  ms: number;
}

/**
 * Whether a step's tokens were cut short (by max tokens or the document boundary) before its
 * verdict on the first rejected draft: then the run shows nothing judged past `accepted`. The one
 * statement of this rule, for the metrics and the race's panes.
 */
export function stepCutShort(event: Pick<StepEvent, 'tokens' | 'accepted'>): boolean {
  return event.tokens.length <= event.accepted;
}

/** Sampling instead of greedy decoding. */
export interface SamplingOptions {
  /** > 0 samples; 0 means greedy (the option is then ignored). */
  temperature: number;
  /** Nucleus: keep the most likely tokens holding this much of the mass, 0 < topP <= 1. Default 1. */
  topP?: number;
  /** Seed of the run's PRNG (any safe integer). Default 0. */
  seed?: number;
}

export interface DecodeOptions {
  depth: number;
  maxTokens: number;
  /** Sample (speculative sampling) instead of decoding greedily. */
  sampling?: SamplingOptions;
  /** Greedy only: never repeat an n-gram of this length (src/decode/no-repeat.ts); 0 or absent: off. */
  noRepeatNgram?: number;
  /** Stop after emitting this token (the document boundary). */
  endOfText?: number;
  signal?: AbortSignal;
  onStep?: (event: StepEvent) => void;
  /** Clock in milliseconds (performance.now by default). */
  now?: () => number;
}

export interface DecodeResult {
  /** Generated tokens (the prompt excluded), at most maxTokens. */
  tokens: number[];
  stop: StopReason;
  steps: number;
  prefillMs: number;
  decodeMs: number;
}

/** Number of leading drafts the main model agrees with. */
export function acceptedPrefix(drafts: readonly number[], verified: readonly number[]): number {
  let a = 0;
  while (a < drafts.length && drafts[a] === verified[a]) a++;
  return a;
}

export class DecodeRun {
  /** Generated tokens so far (the prompt excluded). */
  readonly tokens: number[] = [];
  steps = 0;
  prefillMs = 0;
  /** Wall-clock milliseconds spent in steps (prefill excluded). */
  decodeMs = 0;
  stop: StopReason | undefined;
  private readonly now: () => number;
  /** The prompt and every committed token (the no-repeat rule's prefix). */
  private sequence: number[] = [];
  /** Set when sampling: the setting and the run's PRNG. */
  private readonly sampler?: { params: SamplingParams; rng: Rng };

  constructor(
    private readonly engine: DecodeEngine,
    private readonly options: DecodeOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    const s = options.sampling;
    if (s && s.temperature !== 0) {
      const params = { temperature: s.temperature, topP: s.topP ?? 1 };
      checkSampling(params);
      this.sampler = { params, rng: new Rng(s.seed ?? 0) };
    }
  }

  /** Runs the prompt; the main model's first token (argmax, or drawn) is the first generated token. */
  async prefill(prompt: readonly number[]): Promise<void> {
    const t0 = this.now();
    const sampling = this.sampler && { ...this.sampler.params, uniform: this.sampler.rng.nextF32() };
    this.sequence = [...prompt];
    let first = await this.engine.prefill(prompt, this.options.depth, sampling);
    if (!sampling) first = await this.greedyChoice(0, first, []);
    this.engine.commit([first]);
    this.sequence.push(first);
    this.tokens.push(first);
    this.prefillMs = this.now() - t0;
    this.stop = this.finished();
  }

  /** One draft-and-verify step; returns undefined once the run has stopped. */
  async step(): Promise<StepEvent | undefined> {
    if (!this.stop && this.options.signal?.aborted) this.stop = 'aborted';
    if (this.stop) return undefined;
    const t0 = this.now();
    const maxSeq = this.engine.config.max_seq_len;
    // Near the end of the context, draft only what still fits.
    const depth = Math.min(this.options.depth, maxSeq - this.engine.length);
    let drafts: number[];
    let accepted: number;
    let last: number;
    if (!this.sampler) {
      // The longest prefix of drafts the main model agrees with, then its own token.
      const result = await this.engine.step(depth);
      drafts = result.drafts;
      accepted = 0;
      for (;;) {
        const choice = await this.greedyChoice(accepted, result.verified[accepted], drafts.slice(0, accepted));
        if (accepted < drafts.length && drafts[accepted] === choice) accepted++;
        else {
          last = choice;
          break;
        }
      }
    } else {
      const u = drawStepUniforms(this.sampler.rng, depth);
      const result = await this.engine.step(depth, { ...this.sampler.params, uniforms: u.drafts });
      if (!result.p || !result.q) throw new Error(`${this.engine.name}: a sampling step returned no probabilities`);
      drafts = result.drafts;
      ({ accepted, token: last } = acceptOrResample(result.p, result.q, drafts, u));
    }
    const committed = [...drafts.slice(0, accepted), last];
    this.engine.commit(committed);
    this.sequence.push(...committed);
    this.steps++;
    const room = this.options.maxTokens - this.tokens.length;
    const eot = this.options.endOfText === undefined ? -1 : committed.indexOf(this.options.endOfText);
    const emitted = committed.slice(0, Math.min(room, eot >= 0 ? eot + 1 : Infinity));
    this.tokens.push(...emitted);
    this.stop = this.finished();
    const ms = this.now() - t0;
    this.decodeMs += ms;
    const event = { tokens: emitted, accepted: Math.min(accepted, emitted.length), proposed: depth, drafts, ms };
    this.options.onStep?.(event);
    return event;
  }

  /**
   * The main model's greedy token at verify row `row`: its argmax, unless the no-repeat rule bans
   * it after the committed sequence and `drafts` (the drafts before that row), and then the best
   * allowed token of that row's logits (which the step already read back).
   */
  private async greedyChoice(row: number, argmax: number, drafts: readonly number[]): Promise<number> {
    const n = this.options.noRepeatNgram;
    if (!n) return argmax;
    const banned = bannedNext(drafts.length ? [...this.sequence, ...drafts] : this.sequence, n);
    if (!banned.has(argmax)) return argmax;
    return allowedArgmax(await this.engine.mainLogits(row), banned);
  }

  private finished(): StopReason | undefined {
    const { endOfText, maxTokens } = this.options;
    if (endOfText !== undefined && this.tokens.includes(endOfText)) return 'end-of-text';
    if (this.tokens.length >= maxTokens) return 'max-tokens';
    // The newest token sits at position length - 1; the main model's last position is maxSeq - 1.
    if (this.engine.length > this.engine.config.max_seq_len) return 'context-full';
    return undefined;
  }
}

/** Decodes to the end: prefill, then steps until a stop condition (greedy, or sampling with `options.sampling`). */
export async function decode(engine: DecodeEngine, prompt: readonly number[], options: DecodeOptions): Promise<DecodeResult> {
  const run = new DecodeRun(engine, options);
  await run.prefill(prompt);
  while (await run.step());
  return { tokens: run.tokens, stop: run.stop!, steps: run.steps, prefillMs: run.prefillMs, decodeMs: run.decodeMs };
}
