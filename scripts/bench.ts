// The headless benchmark: the same engine and decode code as the page, in Node through Dawn
// (the `webgpu` package): on a machine without a GPU on SwiftShader, on one with a GPU the GPU.
//
//   npm run bench -- [--prompts FILE] [--tokens N] [--depth D] [--runs R] [--temperature T] [--top-p P] [--seed S]
//                    [--no-repeat-ngram N] [--json OUT]
//
// --temperature 0 (default): greedy, and "outputs identical" checks MTP against the baseline token for
// token. --temperature > 0: speculative sampling (top-p, seeded per run); outputs then differ by design,
// so the report says n/a (null in the JSON). --no-repeat-ngram N (default 3, 0 off): greedy runs never
// repeat an n-gram (src/decode/no-repeat.ts), the same rule on both sides, as in the page.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { promptLines } from '../src/app/bench-query.ts';
import { formatReport, runBench } from '../src/decode/bench.ts';
import { DEFAULT_NO_REPEAT_NGRAM } from '../src/decode/no-repeat.ts';
import { GpuEngine } from '../src/gpu/engine.ts';
import { DEFAULT_MODEL, readModel } from './node_model.ts';
import { openNodeGpu } from './node_gpu.ts';
import { integerOption, numberOption } from './cli_options.ts';

const { values } = parseArgs({
  options: {
    prompts: { type: 'string', default: fileURLToPath(new URL('bench_prompts.txt', import.meta.url)) },
    tokens: { type: 'string', default: '48' },
    depth: { type: 'string', default: '2' },
    runs: { type: 'string', default: '1' },
    temperature: { type: 'string', default: '0' },
    'top-p': { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    'no-repeat-ngram': { type: 'string', default: String(DEFAULT_NO_REPEAT_NGRAM) },
    json: { type: 'string' },
    model: { type: 'string', default: DEFAULT_MODEL },
  },
});
const temperature = numberOption('temperature', values.temperature!, (t) => t >= 0, 'a number >= 0');
const topP = numberOption('top-p', values['top-p']!, (p) => p > 0 && p <= 1, 'in (0, 1]');
const seed = numberOption('seed', values.seed!, Number.isSafeInteger, 'an integer');
const prompts = promptLines(readFileSync(values.prompts!, 'utf8'));
if (prompts.length === 0) {
  console.error(`${values.prompts}: no prompts (one a line)`);
  process.exit(2);
}

const { navigatorGpu, device, adapterName } = await openNodeGpu();
const { weights, tokenizer } = readModel(values.model);
const engine = await GpuEngine.create(device, weights, adapterName);
const depth = integerOption('depth', values.depth!, 1, weights.config.mtp_depth);

const report = await runBench(engine, tokenizer, values.model!, {
  prompts,
  tokens: integerOption('tokens', values.tokens!, 2, weights.config.max_seq_len),
  depth,
  runs: integerOption('runs', values.runs!, 1, 100),
  costRepeats: 10,
  sampling: temperature > 0 ? { temperature, topP, seed } : undefined,
  noRepeatNgram: integerOption('no-repeat-ngram', values['no-repeat-ngram']!, 0, 16),
  log: (line) => console.log(line),
});
console.log('\n' + formatReport(report));
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
engine.destroy();
device.destroy();
void navigatorGpu;
process.exit(0);
