// Trains byte-level BPE merges on a text: count pre-tokens, then repeatedly merge the
// most frequent adjacent pair. Pair counts are updated incrementally, touching only the
// words that contain the merged pair. Ties go to the smaller pair key (deterministic).
import { PRETOKEN_PATTERN, pairKey, type TokenizerJSON } from '../src/model/tokenizer.ts';

export function trainBPE(texts: Iterable<string>, vocabSize: number): TokenizerJSON {
  const numMerges = vocabSize - 256 - 1; // bytes, merges, one boundary token
  const pattern = new RegExp(PRETOKEN_PATTERN, 'gu');
  const utf8 = new TextEncoder();

  const wordCounts = new Map<string, number>();
  for (const text of texts) for (const m of text.matchAll(pattern)) wordCounts.set(m[0], (wordCounts.get(m[0]) ?? 0) + 1);
  const words = [...wordCounts.entries()].map(([w, count]) => ({ ids: Array.from(utf8.encode(w)), count }));

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: 1 | -1) => {
    const { ids, count } = words[wi];
    for (let i = 0; i + 1 < ids.length; i++) {
      const key = pairKey(ids[i], ids[i + 1]);
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * count);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(wi);
      }
    }
  };
  words.forEach((_, wi) => addPairs(wi, 1));

  const merges: [number, number][] = [];
  while (merges.length < numMerges) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of pairCount)
      if (count > bestCount || (count === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    if (bestCount < 2) break; // nothing left worth merging
    const a = Math.floor(bestKey / 65536);
    const b = bestKey % 65536;
    const newId = 256 + merges.length;
    merges.push([a, b]);
    for (const wi of pairWords.get(bestKey) ?? []) {
      addPairs(wi, -1);
      const ids = words[wi].ids;
      const merged: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          merged.push(newId);
          i++;
        } else merged.push(ids[i]);
      }
      words[wi].ids = merged;
      addPairs(wi, 1);
    }
    pairWords.delete(bestKey);
    pairCount.delete(bestKey);
  }
  const eot = 256 + merges.length;
  return { type: 'byte-bpe', pattern: PRETOKEN_PATTERN, merges, special: { '<|endoftext|>': eot }, vocab_size: eot + 1 };
}
