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
// - Draft trees (`tree`, greedy only): the MTP modules draft a DraftTree of candidates and the main
//   model verifies every node; the loop accepts the longest root-to-node path whose every node is
//   the main model's greedy choice after its parent's branch (the no-repeat rule applied with that
//   branch as the prefix), plus the main model's next token. Lossless for the same reason as the
//   chain. A sampling run keeps the chain of the tree's depth: the accept / resample rule here is
//   the single-draft one.
//
// `DecodeRun` advances one step at a time, so a caller can interleave two runs (the demo's race)
// or time each step; `decode` runs one to the end. Both modes (greedy, sampling) emit the same
// StepEvents, so metrics.ts reads either.
import { checkSampling, type DecodeEngine, type SamplingParams } from '../model/decode-engine.ts';
import type { DraftTree } from '../model/draft-tree.ts';
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
  /** Rows the main model verified: the bonus token and every draft. */
  rows: number;
  /** A tree step's candidates and the path the main model accepted. */
  tree?: TreeStepView;
}

/** What a tree step drafted and kept, for the page: node n (1..N) of `shape` drafted tokens[n - 1]. */
export interface TreeStepView {
  shape: DraftTree;
  tokens: number[];
  /** The accepted nodes, root first excluded: path[i] is at depth i + 1. */
  path: number[];
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
  /** Greedy: draft this tree instead of a chain (its depth replaces `depth`); sampling keeps the chain. */
  tree?: DraftTree;
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

/** A tree step's longest path of nodes the main model's argmax agrees with (no no-repeat rule): the
 * tree's acceptedPrefix. The tokens to commit are the path's, then verified at its last node. */
export function acceptedPath(tree: DraftTree, tokens: readonly number[], verified: readonly number[]): number[] {
  const path: number[] = [];
  for (;;) {
    const node = path.at(-1) ?? 0;
    const child = tree.children(node).find((c) => tokens[c - 1] === verified[node]);
    if (child === undefined) return path;
    path.push(child);
  }
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
  /** Drafts a step proposes at most (the tree's depth for a tree run). */
  private readonly depth: number;

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
    if (options.tree && !engine.treeStep) throw new Error(`${engine.name} has no draft trees`);
    this.depth = options.tree ? options.tree.depth : options.depth;
  }

  /** Runs the prompt; the main model's first token (argmax, or drawn) is the first generated token. */
  async prefill(prompt: readonly number[]): Promise<void> {
    const t0 = this.now();
    const sampling = this.sampler && { ...this.sampler.params, uniform: this.sampler.rng.nextF32() };
    this.sequence = [...prompt];
    let first = await this.engine.prefill(prompt, this.depth, sampling);
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
    const depth = Math.min(this.depth, maxSeq - this.engine.length);
    const length = this.engine.length;
    // A tree needs a KV slot per node, and positions for its modules' rows behind the bonus.
    const tree = this.options.tree;
    const treeFits = tree && !this.sampler && length > tree.depth && length + tree.size <= maxSeq;
    let drafts: number[];
    let accepted: number;
    let last: number;
    let view: TreeStepView | undefined;
    if (treeFits) {
      const result = await this.engine.treeStep!(tree);
      const path: number[] = [];
      for (;;) {
        const node = path.at(-1) ?? 0;
        const choice = await this.greedyChoice(
          node,
          result.verified[node],
          path.map((n) => result.tokens[n - 1]),
        );
        const child = tree.children(node).find((n) => result.tokens[n - 1] === choice);
        if (child !== undefined) path.push(child);
        else {
          last = choice;
          // The drafts shown: the accepted path, then the best-ranked candidate it turned down.
          const below = tree.children(node)[0];
          drafts = [...path, ...(below === undefined ? [] : [below])].map((n) => result.tokens[n - 1]);
          break;
        }
      }
      accepted = path.length;
      view = { shape: tree, tokens: result.tokens, path };
    } else if (!this.sampler) {
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
    const proposed = treeFits ? tree.depth : depth;
    const rows = treeFits ? tree.size + 1 : depth + 1;
    const event: StepEvent = {
      tokens: emitted,
      accepted: Math.min(accepted, emitted.length),
      proposed,
      drafts: drafts!,
      ms,
      rows,
      ...(view && { tree: view }),
    };
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
