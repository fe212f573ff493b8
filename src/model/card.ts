// The part of a model card (public/models/<name>.card.json) that changes how the model decodes.
// The rest of the card (corpus, training, validation figures, samples) is for people to read.

/** Decoding settings of one model. */
export interface DecodingSettings {
  /** Greedy: the no-repeat n-gram rule's n (src/decode/no-repeat.ts); 0 off. */
  noRepeatNgram: number;
}

/** The longest n-gram the no-repeat rule takes, in a card and in every tool's option. */
export const MAX_NO_REPEAT_NGRAM = 16;

export class ModelCardError extends Error {
  override readonly name = 'ModelCardError';
}

/** Reads the card's `decoding` section; `file` names the card in errors. */
export function decodingSettings(card: unknown, file: string): DecodingSettings {
  if (typeof card !== 'object' || card === null || Array.isArray(card)) throw new ModelCardError(`${file}: a model card must be a JSON object`);
  const decoding = (card as { decoding?: unknown }).decoding;
  if (typeof decoding !== 'object' || decoding === null) throw new ModelCardError(`${file}: decoding is missing (npm run card writes it)`);
  const n = (decoding as { no_repeat_ngram?: unknown }).no_repeat_ngram;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_NO_REPEAT_NGRAM)
    throw new ModelCardError(`${file}: decoding.no_repeat_ngram must be an integer in 0..${MAX_NO_REPEAT_NGRAM}, got ${JSON.stringify(n)}`);
  return { noRepeatNgram: n };
}
