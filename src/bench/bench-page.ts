// The browser benchmark page (bench.html): the measurement of `npm run bench` (src/bench/bench.ts)
// on navigator.gpu, with its options from the address (src/bench/bench-query.ts).
//
// For tools and tests: #status[data-state] is loading | running | done | error (or ready, in
// golden mode); when done, the BenchReport is on window.__benchReport and in <pre id="json">;
// on failure the message is on window.__benchError. With `?golden`, no benchmark runs: the page
// exposes window.__golden (the engine probes of src/bench/bench-engine.ts) once data-state is ready.
import { withoutDraftVocab } from '../model/weights.ts';
import { draftTreeFor } from '../model/draft-tree.ts';
import { fetchModel } from '../app/backend.ts';
import { openBenchEngine, probePrefill, probeStep, type PrefillProbe, type StepProbe } from './bench-engine.ts';
import { parseBenchQuery } from './bench-query.ts';
import { errorMessage } from '../model/errors.ts';
import { modelEntry } from '../model/catalogue.ts';
import { promptLines } from '../model/prompt-file.ts';
import { formatReport, runBench, type BenchReport } from './bench.ts';

declare global {
  interface Window {
    __benchReport?: BenchReport;
    __benchError?: string;
    __golden?: {
      prefill(ids: number[]): Promise<PrefillProbe>;
      step(prefix: number[], next: number, depth: number): Promise<StepProbe>;
    };
  }
}

const status = document.querySelector<HTMLElement>('#status')!;
const logBox = document.querySelector<HTMLElement>('#log')!;

function setState(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function log(line: string): void {
  console.log(line);
  logBox.textContent += `${line}\n`;
}

async function main(): Promise<void> {
  const query = parseBenchQuery(location.search);
  const model = await fetchModel(`${import.meta.env.BASE_URL}models/${query.model}`);
  const config = model.weights.config;
  const depth = query.depth ?? config.mtp_depth;
  if (depth > config.mtp_depth) throw new Error(`depth must be in 1..${config.mtp_depth} for ${model.name}, got ${depth}`);
  const tree = query.tree ? draftTreeFor(model.decoding.treeCoverage, query.tree, depth) : undefined;
  if (query.tokens > config.max_seq_len) throw new Error(`tokens must be at most ${config.max_seq_len} (the context), got ${query.tokens}`);
  setState('loading', 'Building the engine…');
  const weights = query.draftVocab === 'all' ? withoutDraftVocab(model.weights) : model.weights;
  const bench = await openBenchEngine((navigator as Partial<Navigator>).gpu, weights);

  if (query.golden) {
    // One probe at a time: the engine has one decode state.
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <T>(f: () => Promise<T>): Promise<T> => {
      const next = queue.then(f, f);
      queue = next.catch(() => {});
      return next;
    };
    window.__golden = {
      prefill: (ids) => serial(() => probePrefill(bench.engine, ids)),
      step: (prefix, next, d) => serial(() => probeStep(bench.engine, prefix, next, d)),
    };
    setState('ready', `Golden mode on ${bench.adapter}: window.__golden is ready.`);
    return;
  }

  const prompts = query.prompts.length ? query.prompts : promptLines(modelEntry(query.model)!.benchPrompts);
  setState(
    'running',
    `Running on ${bench.adapter}: ${prompts.length} prompt(s), ${query.tokens} tokens, depth ${depth}${tree ? `, a tree of ${query.tree} rows (${tree.describe()})` : ''}, ${query.runs} run(s)…`,
  );
  log(`adapter ${bench.adapter}`);
  const report = await runBench(bench.engine, model.tokenizer, model.name, {
    runtime: 'Chromium',
    prompts,
    tokens: query.tokens,
    depth,
    tree,
    runs: query.runs,
    costRepeats: query.costRepeats,
    sampling: query.sampling,
    noRepeatNgram: query.noRepeatNgram ?? model.decoding.noRepeatNgram,
    draftVocabSize: weights.draftVocab?.length,
    log,
  });
  bench.dispose();
  document.querySelector('#report')!.textContent = formatReport(report);
  document.querySelector('#json')!.textContent = JSON.stringify(report, null, 2);
  window.__benchReport = report;
  setState('done', `Done on ${report.adapter}.`);
}

main().catch((e: unknown) => {
  const message = errorMessage(e);
  window.__benchError = message;
  console.error(message);
  setState('error', `The benchmark failed: ${message}`);
});
