// The options of the two benchmarks (npm run bench, npm run bench:browser), defined and checked
// once, so both take the same flags with the same limits and defaults.
import { BENCH_LIMITS } from '../src/decode/bench-query.ts';
import { DEFAULT_MODEL, readModel } from './node_model.ts';
import { checkJsonPath, integerOption, numberOption, parseToolArgs, readPrompts } from './cli_options.ts';

export const BENCH_FLAGS =
  '[--model NAME] [--prompts FILE] [--tokens N] [--depth D] [--runs R] [--temperature T] [--top-p P] [--seed S] [--no-repeat-ngram N] [--json OUT]';

const ARGS = {
  model: { type: 'string', default: DEFAULT_MODEL },
  prompts: { type: 'string' },
  tokens: { type: 'string', default: '48' },
  depth: { type: 'string' },
  runs: { type: 'string', default: '1' },
  temperature: { type: 'string', default: '0' },
  'top-p': { type: 'string', default: '1' },
  seed: { type: 'string', default: '0' },
  'no-repeat-ngram': { type: 'string' },
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
  const model = readModel(v.model);
  const { config } = model.weights;
  const temperature = numberOption('temperature', v.temperature!, (t) => t >= 0, 'a number >= 0');
  const topP = numberOption('top-p', v['top-p']!, (p) => p > 0 && p <= 1, 'in (0, 1]');
  const seed = numberOption('seed', v.seed!, Number.isSafeInteger, 'an integer');
  const depth = integerOption('depth', v.depth ?? String(config.mtp_depth), 1, config.mtp_depth);
  const sampling = temperature > 0 ? { temperature, topP, seed } : undefined;
  const options = {
    prompts: readPrompts(v.prompts, model.name),
    tokens: integerOption('tokens', v.tokens!, 2, config.max_seq_len - depth),
    depth,
    runs: integerOption('runs', v.runs!, 1, 100),
    costRepeats: 10,
    noRepeatNgram: integerOption('no-repeat-ngram', v['no-repeat-ngram'] ?? String(model.decoding.noRepeatNgram), ...BENCH_LIMITS.ngram),
    sampling,
  };
  checkJsonPath(v.json);
  return { model, options, json: v.json, values: v as Record<string, unknown> };
}
