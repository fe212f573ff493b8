// The benchmark in headless Chromium: the measurement of `npm run bench` (src/decode/bench.ts),
// run by the page bench.html on the browser's WebGPU (SwiftShader on a machine without a GPU),
// served by the Vite dev server. Prints the same table and writes the same JSON.
//
//   npm run bench:browser -- [--prompts FILE] [--tokens N] [--depth D] [--runs R] [--temperature T] [--top-p P] [--seed S]
//                            [--no-repeat-ngram N] [--json OUT]
//                            [--model NAME] [--browser-arg FLAG ...]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { benchQueryString, promptLines } from '../src/app/bench-query.ts';
import { formatReport, type BenchReport } from '../src/decode/bench.ts';
import { DEFAULT_NO_REPEAT_NGRAM } from '../src/decode/no-repeat.ts';
import { launchChromium, startDevServer } from './browser.ts';
import { DEFAULT_MODEL, readModel } from './node_model.ts';
import { integerOption } from './cli_options.ts';

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
    'browser-arg': { type: 'string', multiple: true, default: [] },
  },
});
const prompts = promptLines(readFileSync(values.prompts!, 'utf8'));
if (prompts.length === 0) {
  console.error(`${values.prompts}: no prompts (one a line)`);
  process.exit(2);
}
// The same limits as the Node bench: the model's context and depth.
const { config } = readModel(values.model).weights;
const options = {
  prompts,
  tokens: integerOption('tokens', values.tokens!, 2, config.max_seq_len),
  depth: integerOption('depth', values.depth!, 1, config.mtp_depth),
  runs: integerOption('runs', values.runs!, 1, 100),
  costRepeats: 10,
  model: values.model!,
  noRepeatNgram: integerOption('no-repeat-ngram', values['no-repeat-ngram']!, 0, 16),
  // The page checks these (parseBenchQuery) and reports a bad value.
  sampling: Number(values.temperature) > 0 ? { temperature: Number(values.temperature), topP: Number(values['top-p']), seed: Number(values.seed) } : undefined,
};

const server = await startDevServer();
const browser = await launchChromium({ webgpu: true, args: values['browser-arg'] });
let exitCode = 0;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'log') console.log(m.text());
    else if (m.type() === 'error') console.error(`[page] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
  await page.goto(`${server.url}bench.html${benchQueryString(options)}`);
  // The benchmark takes as long as it takes (minutes on SwiftShader): no time limit.
  await page.waitForFunction(() => window.__benchReport !== undefined || window.__benchError !== undefined, undefined, { timeout: 0, polling: 500 });
  const error = await page.evaluate(() => window.__benchError);
  if (error !== undefined) {
    console.error(`The benchmark failed in the browser: ${error}`);
    exitCode = 1;
  } else {
    const report = (await page.evaluate(() => window.__benchReport)) as BenchReport;
    console.log('\n' + formatReport(report));
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(exitCode);
