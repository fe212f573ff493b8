// The benchmark in headless Chromium: the measurement of `npm run bench` (src/bench/bench.ts),
// run by the page bench.html on the browser's WebGPU (SwiftShader on a machine without a GPU),
// served by the Vite dev server. Prints the same table and writes the same JSON.
//
//   npm run bench:browser -- [--model NAME] [--prompts FILE] [--tokens N] [--depth D] [--tree N] [--runs R] [--temperature T]
//                            [--top-p P] [--seed S] [--no-repeat-ngram N] [--draft-vocab model|all] [--json OUT]
//                            [--browser-arg FLAG ...]
//
// The options, their defaults and their checks are those of `npm run bench` (scripts/bench.ts); a
// mistake exits with status 2 before the browser starts.
import { benchQueryString } from '../src/bench/bench-query.ts';
import { formatReport, type BenchReport } from '../src/bench/bench.ts';
import { BENCH_FLAGS, readBenchOptions } from './bench-options.ts';
import type { Browser } from 'playwright-core';
import { launchChromium, startDevServer } from './browser.ts';
import { closeOnSignal, runCli, writeJsonFile } from './cli-options.ts';

await runCli(async () => {
  const { model, options, draftVocab, json, values } = readBenchOptions(
    `npm run bench:browser -- ${BENCH_FLAGS} [--browser-arg FLAG ...]`,
    {
      'browser-arg': { type: 'string', multiple: true, default: [] },
    },
  );
  // Whatever ends the run, what it started is closed: in `finally` (the end, a failure, a failed
  // launch), or by runCli on SIGINT/SIGTERM.
  const server = await startDevServer();
  let browser: Browser | undefined;
  closeOnSignal(async () => {
    await browser?.close();
    await server.close();
  });
  let exitCode = 0;
  try {
    browser = await launchChromium({ webgpu: true, args: values['browser-arg'] as string[] });
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'log') console.log(m.text());
      else if (m.type() === 'error') console.error(`[page] ${m.text()}`);
    });
    page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
    const tree = options.tree ? options.tree.size + 1 : undefined;
    await page.goto(`${server.url}bench.html${benchQueryString({ ...options, tree, model: model.name, draftVocab })}`);
    // The benchmark takes as long as it takes (minutes on SwiftShader): no time limit.
    await page.waitForFunction(() => window.__benchReport !== undefined || window.__benchError !== undefined, undefined, {
      timeout: 0,
      polling: 500,
    });
    const error = await page.evaluate(() => window.__benchError);
    if (error !== undefined) {
      console.error(`The benchmark failed in the browser: ${error}`);
      exitCode = 1;
    } else {
      const report = (await page.evaluate(() => window.__benchReport)) as BenchReport;
      console.log('\n' + formatReport(report));
      if (json) writeJsonFile(json, JSON.stringify(report, null, 2) + '\n');
    }
  } finally {
    await browser?.close();
    await server.close();
  }
  process.exit(exitCode);
});
