// The browser benchmark page's options (bench.html), carried in its URL query (pure): the same
// options as `npm run bench`, so scripts/bench-browser.ts can pass its flags through.
//
//   bench.html?prompt=The+old+man&prompt=She+looked&tokens=48&depth=2&runs=1&cost=10&model=kjv-mtp
//   bench.html?...&temperature=0.8&top_p=0.95&seed=1   (speculative sampling instead of greedy)
//   bench.html?...&ngram=3       (greedy: the no-repeat n-gram rule's n, 0 off; default: the model card's)
//   bench.html?...&tree=16       (greedy: the MTP side drafts a tree of 16 verify rows; 0 or absent: the chain)
//   bench.html?...&draft_vocab=all  (the MTP modules score every token, not the model's draft vocabulary)
//   bench.html?golden            (no benchmark: the page exposes window.__golden for the e2e test)
import { OptionError, parseOption, parseTreeRows, type RunOptionName } from '../decode/run-options.ts';
import { DEFAULT_MODEL, modelEntry, unknownModelMessage } from '../model/catalogue.ts';

export interface BenchQuery {
  /** One entry per `prompt` parameter; empty: the model's prompt file (src/model/catalogue.ts). */
  prompts: string[];
  tokens: number;
  /** Draft depth; undefined: the model's D. */
  depth?: number;
  /** Verify rows of the MTP side's draft tree; undefined or 0: the chain. */
  tree?: number;
  runs: number;
  /** Repeats per row batch size for the cost curve T(M). */
  costRepeats: number;
  /** Model base name in public/models/. */
  model: string;
  /** Greedy: the no-repeat n-gram rule's n (0: off); undefined: the model card's. */
  noRepeatNgram?: number;
  /** Sampling instead of greedy (absent: greedy, temperature 0). */
  sampling?: { temperature: number; topP: number; seed: number };
  /** 'all': the MTP modules score every token; 'model' (the default): the model's draft vocabulary, where it has one. */
  draftVocab: DraftVocabChoice;
  /** Golden-check mode instead of the benchmark. */
  golden: boolean;
}

export type DraftVocabChoice = 'model' | 'all';

/** `--draft-vocab` / `draft_vocab`'s value, checked. */
export function parseDraftVocab(value: string): DraftVocabChoice {
  if (value !== 'model' && value !== 'all') throw new OptionError(`draft-vocab must be "model" or "all", got ${JSON.stringify(value)}`);
  return value;
}

export const BENCH_DEFAULTS: Omit<BenchQuery, 'prompts' | 'golden' | 'noRepeatNgram'> = {
  tokens: 48,
  draftVocab: 'model',
  runs: 1,
  costRepeats: 10,
  model: DEFAULT_MODEL,
};

/** Query parameter -> the run option it is (run-options.ts), where the names differ. */
const opt = (name: RunOptionName, raw: string, label: string = name) => parseOption(name, raw, undefined, label);

/** Reads the options from a query string (`location.search`); throws OptionError on a bad value or an unknown model. */
export function parseBenchQuery(search: string): BenchQuery {
  const q = new URLSearchParams(search);
  const get = (name: string) => q.get(name) ?? undefined;
  const model = get('model') ?? BENCH_DEFAULTS.model;
  if (!modelEntry(model)) throw new OptionError(`model: ${unknownModelMessage(model)}`);
  const depth = get('depth');
  const temperature = opt('temperature', get('temperature') ?? '0');
  const sampling =
    temperature > 0
      ? {
          temperature,
          topP: opt('top-p', get('top_p') ?? '1', 'top_p'),
          seed: opt('seed', get('seed') ?? '0'),
        }
      : undefined;
  return {
    // Kept as given: leading spaces are indentation in a code prompt.
    prompts: q.getAll('prompt').filter((p) => p.trim() !== ''),
    tokens: get('tokens') === undefined ? BENCH_DEFAULTS.tokens : opt('tokens', get('tokens')!),
    depth: depth === undefined ? undefined : opt('depth', depth),
    tree: get('tree') === undefined ? undefined : parseTreeRows(get('tree')!, sampling !== undefined),
    runs: get('runs') === undefined ? BENCH_DEFAULTS.runs : opt('runs', get('runs')!),
    costRepeats: get('cost') === undefined ? BENCH_DEFAULTS.costRepeats : opt('cost', get('cost')!),
    model,
    noRepeatNgram: get('ngram') === undefined ? undefined : opt('no-repeat-ngram', get('ngram')!, 'ngram'),
    sampling,
    draftVocab: parseDraftVocab(get('draft_vocab') ?? BENCH_DEFAULTS.draftVocab),
    golden: q.has('golden'),
  };
}

/** The query string (with its '?') for these options; parseBenchQuery reads it back. */
export function benchQueryString(o: Partial<BenchQuery>): string {
  const q = new URLSearchParams();
  for (const p of o.prompts ?? []) q.append('prompt', p);
  if (o.tokens !== undefined) q.set('tokens', String(o.tokens));
  if (o.depth !== undefined) q.set('depth', String(o.depth));
  if (o.tree) q.set('tree', String(o.tree));
  if (o.runs !== undefined) q.set('runs', String(o.runs));
  if (o.costRepeats !== undefined) q.set('cost', String(o.costRepeats));
  if (o.model !== undefined) q.set('model', o.model);
  if (o.noRepeatNgram !== undefined) q.set('ngram', String(o.noRepeatNgram));
  if (o.sampling) {
    q.set('temperature', String(o.sampling.temperature));
    q.set('top_p', String(o.sampling.topP));
    q.set('seed', String(o.sampling.seed));
  }
  if (o.draftVocab === 'all') q.set('draft_vocab', 'all');
  if (o.golden) q.set('golden', '');
  const s = q.toString();
  return s ? `?${s}` : '';
}
