// The no-repeat n-gram rule for greedy decoding: the main model may not pick a token that would
// repeat an n-gram already in the sequence (prompt included). A tiny model's greedy text otherwise
// falls into loops ("the United States of the United States of ...").
//
// The rule is a deterministic function of the prefix, applied the same way to the baseline's token
// and to every verify row (with the drafts before that row as part of its prefix), so greedy
// speculative decoding stays lossless: MTP emits exactly the baseline's text. A draft that the rule
// bans is simply rejected, since the main model's choice never is a banned token. Each model's n
// is in its card (decoding.no_repeat_ngram, chosen by measurement with npm run card -- --sweep).

/** Tokens that would complete an n-gram already in `prefix` (its last n - 1 tokens seen before, followed by t). */
export function bannedNext(prefix: readonly number[], n: number): Set<number> {
  const banned = new Set<number>();
  const k = n - 1;
  const L = prefix.length;
  if (k < 1 || L < n) return banned;
  for (let i = 0; i + k < L; i++) {
    let match = true;
    for (let j = 0; j < k && match; j++) match = prefix[i + j] === prefix[L - k + j];
    if (match) banned.add(prefix[i + k]);
  }
  return banned;
}

/** Argmax of the logits outside `banned`, as ops.argmax and head.wgsl: ties to the lowest index. */
export function allowedArgmax(logits: ArrayLike<number>, banned: ReadonlySet<number>): number {
  let best = -1;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    if (banned.has(i) || Number.isNaN(v)) continue;
    if (best < 0 || v > logits[best]) best = i;
  }
  if (best < 0) throw new RangeError('every token is banned or NaN');
  return best;
}
