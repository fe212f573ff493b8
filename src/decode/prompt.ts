// Turns the visitor's text into the prompt both sides of the race run (pure).
//
// Every prompt starts with the document-boundary token, as each training document did. An
// empty text leaves that token alone. A prompt that would not leave room in the context for
// `maxTokens` new tokens, with full-depth drafting up to the last step, keeps its last tokens,
// but never fewer than MIN_PROMPT_SHARE of what it could keep: past that, max tokens is lowered.
import type { Tokenizer } from '../model/tokenizer.ts';

export interface PreparedPrompt {
  /** Token ids, boundary token first. */
  tokens: number[];
  /** Tokens the text encoded to. */
  textTokens: number;
  /** Text tokens kept (fewer than textTokens when the prompt was cut). */
  keptTokens: number;
  /** maxTokens after clamping to what the context allows. */
  maxTokens: number;
  /** Plain sentences for the visitor about what was done to the prompt. */
  notes: string[];
}

/**
 * Most tokens a run can generate at this depth: the prompt holds at least the boundary token.
 * A run's final length is prompt + maxTokens; its last step starts one token before that and
 * drafts `depth` tokens, which must fit in maxSeqLen positions.
 */
export function maxNewTokens(maxSeqLen: number, depth: number): number {
  return maxSeqLen - depth;
}

/** The longest prompt (boundary token included) that leaves room for maxTokens at depth. */
export function promptBudget(maxSeqLen: number, depth: number, maxTokens: number): number {
  return maxSeqLen + 1 - maxTokens - depth;
}

/**
 * When max tokens asks for more room than the context has, the prompt still keeps at least this
 * share of the positions it could have (or all of itself, if shorter), and max tokens is lowered
 * instead: a visitor who types a huge max tokens still gets a continuation of their text.
 */
export const MIN_PROMPT_SHARE = 0.5;

export function preparePrompt(
  tokenizer: Tokenizer,
  text: string,
  options: { maxSeqLen: number; depth: number; maxTokens: number },
): PreparedPrompt {
  const { maxSeqLen, depth } = options;
  const notes: string[] = [];
  const cap = maxNewTokens(maxSeqLen, depth);
  let requested = Math.floor(options.maxTokens);
  if (Number.isNaN(requested) || requested < 1) requested = 1; // +Infinity: as many as fit
  const encoded = tokenizer.encode(text);
  // Text tokens the prompt may keep (the boundary token aside): all the room max tokens leaves, but
  // never less than MIN_PROMPT_SHARE of the most it could keep.
  const roomForText = (newTokens: number) => Math.max(0, promptBudget(maxSeqLen, depth, newTokens) - 1);
  const floor = Math.floor(roomForText(1) * MIN_PROMPT_SHARE);
  const keep = Math.min(encoded.length, Math.max(floor, roomForText(Math.min(requested, cap))));
  const kept = encoded.slice(encoded.length - keep);
  const maxTokens = Math.min(requested, maxSeqLen + 1 - depth - (keep + 1));
  if (maxTokens < requested)
    notes.push(
      `Max tokens lowered to ${maxTokens}: the context has ${maxSeqLen} positions` +
        (keep > 0 ? ` and the prompt takes ${keep + 1} of them.` : '.'),
    );
  if (text.length === 0) {
    notes.push('Empty prompt: the model starts from the document-boundary token alone.');
  } else if (kept.length < encoded.length) {
    notes.push(
      `The prompt is ${encoded.length} tokens, more than the context leaves room for ` +
        `(${maxSeqLen} positions, ${maxTokens} new tokens): kept its last ${kept.length} tokens.`,
    );
  }
  return { tokens: [tokenizer.endOfText, ...kept], textTokens: encoded.length, keptTokens: kept.length, maxTokens, notes };
}
