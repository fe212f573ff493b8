// The part of a model card (public/models/<name>.card.json) that changes how the model decodes.
// The rest of the card (corpus, training, validation figures, samples) is for people to read.

/** Decoding settings of one model. */
export interface DecodingSettings {
  /** Greedy: the no-repeat n-gram rule's n (src/decode/no-repeat.ts); 0 off. */
  noRepeatNgram: number;
  /** What draft trees are shaped by (DraftTree.fromCoverage): coverage[k - 1][c], the share of the
   * main model's tokens among MTP module k's top c + 1 (validation.top_k_coverage, teacher-forced on
   * the held-out split); null when the card has none. */
  treeCoverage: number[][] | null;
}

/** The longest n-gram the no-repeat rule takes, in a card and in every tool's option. */
export const MAX_NO_REPEAT_NGRAM = 16;

export class ModelCardError extends Error {
  override readonly name = 'ModelCardError';
}

/** Reads the card's `decoding` section; `file` names the card in errors. */
export function decodingSettings(card: unknown, file: string): DecodingSettings {
  if (typeof card !== 'object' || card === null || Array.isArray(card))
    throw new ModelCardError(`${file}: a model card must be a JSON object`);
  const decoding = (card as { decoding?: unknown }).decoding;
  if (typeof decoding !== 'object' || decoding === null) throw new ModelCardError(`${file}: decoding is missing (npm run card writes it)`);
  const n = (decoding as { no_repeat_ngram?: unknown }).no_repeat_ngram;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_NO_REPEAT_NGRAM)
    throw new ModelCardError(`${file}: decoding.no_repeat_ngram must be an integer in 0..${MAX_NO_REPEAT_NGRAM}, got ${JSON.stringify(n)}`);
  return { noRepeatNgram: n, treeCoverage: treeCoverage(card as { validation?: { top_k_coverage?: unknown } }, file) };
}

/** validation.top_k_coverage as rows per depth "1", "2", ..: each a rising list of shares in [0, 1]. */
function treeCoverage(card: { validation?: { top_k_coverage?: unknown } }, file: string): number[][] | null {
  const raw = card.validation?.top_k_coverage;
  if (raw === undefined) return null;
  if (typeof raw !== 'object' || raw === null) throw new ModelCardError(`${file}: validation.top_k_coverage must be an object of depths`);
  const rows: number[][] = [];
  for (let k = 1; String(k) in raw; k++) {
    const row = (raw as Record<string, unknown>)[String(k)];
    const ok =
      Array.isArray(row) &&
      row.length > 0 &&
      row.every((c, i) => typeof c === 'number' && c >= 0 && c <= 1 && (i === 0 || c >= row[i - 1]));
    if (!ok)
      throw new ModelCardError(
        `${file}: validation.top_k_coverage["${k}"] must be a rising list of shares in [0, 1], got ${JSON.stringify(row)}`,
      );
    rows.push(row as number[]);
  }
  return rows.length ? rows : null;
}
