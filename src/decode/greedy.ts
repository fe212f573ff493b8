// The decode loop, greedy: the MTP modules draft `depth` tokens, the main model verifies
// them in one step, the longest agreeing prefix is accepted, plus the main model's own next
// token. depth = 0 is the baseline (one token a step). Because every kernel computes a row
// the same way whatever the block size, the output equals the baseline's token for token.
import type { DecodeEngine } from '../model/engine.ts';

export type StopReason = 'max-tokens' | 'end-of-text' | 'context-full' | 'aborted';

export interface StepEvent {
  /** Tokens committed by this step, in order (accepted drafts first, then one more). */
  tokens: number[];
  /** How many of them were drafts accepted (0..depth). */
  accepted: number;
  /** Drafts proposed by this step (its depth). */
  proposed: number;
  /** The drafts themselves (the rejected ones are drafts.slice(accepted)). */
  drafts: number[];
  /** Wall-clock milliseconds of the step (engine.step + bookkeeping). */
  ms: number;
}

export interface DecodeOptions {
  depth: number;
  maxTokens: number;
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

export async function decodeGreedy(engine: DecodeEngine, prompt: readonly number[], options: DecodeOptions): Promise<DecodeResult> {
  const now = options.now ?? (() => performance.now());
  const maxSeq = engine.config.max_seq_len;
  const out: number[] = [];
  const t0 = now();
  const first = await engine.prefill(prompt, options.depth);
  engine.commit([first]);
  out.push(first);
  const prefillMs = now() - t0;
  let steps = 0;
  let stop: StopReason | undefined = finished(out, options, engine.length, maxSeq);
  const tDecode = now();
  while (!stop) {
    if (options.signal?.aborted) {
      stop = 'aborted';
      break;
    }
    const tStep = now();
    // Near the end of the context, draft only what still fits.
    const depth = Math.min(options.depth, maxSeq - engine.length);
    const { drafts, verified } = await engine.step(depth);
    const accepted = acceptedPrefix(drafts, verified);
    const tokens = [...drafts.slice(0, accepted), verified[accepted]];
    engine.commit(tokens);
    steps++;
    out.push(...tokens);
    stop = finished(out, options, engine.length, maxSeq);
    options.onStep?.({ tokens, accepted, proposed: depth, drafts, ms: now() - tStep });
  }
  const decodeMs = now() - tDecode;
  // A step may overshoot maxTokens or run past the boundary token: cut there.
  const eot = options.endOfText === undefined ? -1 : out.indexOf(options.endOfText);
  const end = Math.min(options.maxTokens, eot >= 0 ? eot + 1 : Infinity);
  return { tokens: out.slice(0, end), stop, steps, prefillMs, decodeMs };
}

function finished(out: number[], options: DecodeOptions, length: number, maxSeq: number): StopReason | undefined {
  if (options.endOfText !== undefined && out.includes(options.endOfText)) return 'end-of-text';
  if (out.length >= options.maxTokens) return 'max-tokens';
  // The newest token sits at position length - 1; the main model's last position is maxSeq - 1.
  if (length > maxSeq) return 'context-full';
  return undefined;
}
