// The options of the two benchmarks (npm run bench, npm run bench:browser), defined and checked
// once, so both take the same flags with the same limits and defaults.
import { narrowed } from '../src/decode/run-options.ts';
import { draftTreeFor } from '../src/model/draft-tree.ts';
import { DEFAULT_MODEL, readModel } from './node-model.ts';
import { checkJsonPath, draftVocabOption, option, parseToolArgs, readPrompts, treeOption } from './cli-options.ts';
import { withoutDraftVocab } from '../src/model/weights.ts';

export const BENCH_FLAGS =
  '[--model NAME] [--prompts FILE] [--tokens N] [--depth D] [--tree N] [--runs R] [--temperature T] [--top-p P] [--seed S] [--no-repeat-ngram N] [--draft-vocab model|all] [--json OUT]';

const ARGS = {
  model: { type: 'string', default: DEFAULT_MODEL },
  prompts: { type: 'string' },
  tokens: { type: 'string', default: '48' },
  depth: { type: 'string' },
  tree: { type: 'string', default: '0' },
  runs: { type: 'string', default: '1' },
  temperature: { type: 'string', default: '0' },
  'top-p': { type: 'string', default: '1' },
  seed: { type: 'string', default: '0' },
  'no-repeat-ngram': { type: 'string' },
  'draft-vocab': { type: 'string', default: 'model' },
  json: { type: 'string' },
} as const;

/**
 * Reads and checks the benchmark's options (and `extra` ones of the tool), throwing a UsageError
 * for any mistake before anything runs: the model is loaded (its depth and context bound --depth
 * and --tokens), the prompts read, the --json folder checked.
 */
export function readBenchOptions<E extends Parameters<typeof parseToolArgs>[0]>(usage: string, extra?: E) {
  const { values } = parseToolArgs({ ...ARGS, ...extra }, usage);
  const v = values as Record<string, string | undefined>;
  const draftVocab = draftVocabOption(v['draft-vocab']!);
  const read = readModel(v.model);
  const model = draftVocab === 'all' ? { ...read, weights: withoutDraftVocab(read.weights) } : read;
  const { config } = model.weights;
  const temperature = option('temperature', v.temperature!);
  const topP = option('top-p', v['top-p']!);
  const seed = option('seed', v.seed!);
  const depth = option('depth', v.depth ?? String(config.mtp_depth), narrowed('depth', config.mtp_depth));
  const sampling = temperature > 0 ? { temperature, topP, seed } : undefined;
  const treeRows = treeOption(v.tree!, sampling !== undefined);
  const options = {
    prompts: readPrompts(v.prompts, model.name),
    tokens: option('tokens', v.tokens!, narrowed('tokens', config.max_seq_len - depth)),
    depth,
    tree: treeRows > 0 ? draftTreeFor(model.decoding.treeCoverage, treeRows, depth) : undefined,
    runs: option('runs', v.runs!),
    costRepeats: 10,
    noRepeatNgram: option('no-repeat-ngram', v['no-repeat-ngram'] ?? String(model.decoding.noRepeatNgram)),
    sampling,
    draftVocabSize: model.weights.draftVocab?.length,
  };
  checkJsonPath(v.json);
  return { model, options, draftVocab, json: v.json, values: v as Record<string, unknown> };
}
