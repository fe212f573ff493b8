// Turns the visitor's text into the prompt both sides of the race run (pure).
//
// Every prompt starts with the document-boundary token, as each training document did. An
// empty text leaves that token alone. A prompt that would not leave room in the context for
// `maxTokens` new tokens, with full-depth drafting up to the last step, keeps its last tokens.
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

export function preparePrompt(
  tokenizer: Tokenizer,
  text: string,
  options: { maxSeqLen: number; depth: number; maxTokens: number },
): PreparedPrompt {
  const notes: string[] = [];
  const cap = maxNewTokens(options.maxSeqLen, options.depth);
  let maxTokens = Math.floor(options.maxTokens);
  if (!Number.isFinite(maxTokens) || maxTokens < 1) maxTokens = 1;
  if (maxTokens > cap) {
    notes.push(`Max tokens lowered to ${cap}: the context has ${options.maxSeqLen} positions.`);
    maxTokens = cap;
  }
  const encoded = tokenizer.encode(text);
  const budget = promptBudget(options.maxSeqLen, options.depth, maxTokens) - 1; // minus the boundary token
  const kept = encoded.length > budget ? encoded.slice(encoded.length - budget) : encoded;
  if (text.length === 0) {
    notes.push('Empty prompt: the model starts from the document-boundary token alone.');
  } else if (kept.length < encoded.length) {
    notes.push(
      `The prompt is ${encoded.length} tokens, more than the context leaves room for ` +
        `(${options.maxSeqLen} positions, ${maxTokens} new tokens): kept its last ${kept.length} tokens.`,
    );
  }
  return { tokens: [tokenizer.endOfText, ...kept], textTokens: encoded.length, keptTokens: kept.length, maxTokens, notes };
}
