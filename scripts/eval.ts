// Teacher-forced evaluation of the reference model on any UTF-8 text:
//
//   npm run eval -- --text FILE [--model NAME] [--json OUT] [--max-tokens N]
//
// Reports the main model's perplexity and, per MTP depth k, the fraction of positions
// where module k's argmax equals the main model's argmax for the same future token, and
// where the main model's token is among module k's top 1..4 (a draft tree's candidates).
// The text is encoded with a document-boundary token in front (and in place of every NUL
// character, the document separator of training/data/<model>/*.txt), then cut into consecutive
// windows of max_seq_len tokens, each evaluated from an empty context: the protocol of
// training/export.py, so `--text training/data/kjv-mtp/val.txt --model kjv-mtp` reproduces the
// model card. A mistake exits with status 2.
import { setImmediate as turn } from 'node:timers/promises';
import { ReferenceModel } from '../src/model/reference.ts';
import { emptyTotals, evaluateWindow, report } from '../src/model/teacher-forced.ts';
import { checkJsonPath, option, parseToolArgs, readTextFile, runCli, UsageError, writeJsonFile } from './cli-options.ts';
import { DEFAULT_MODEL, readModel } from './node-model.ts';

const USAGE = 'npm run eval -- --text FILE [--model NAME] [--json OUT] [--max-tokens N]';

await runCli(async () => {
  const { values } = parseToolArgs(
    {
      text: { type: 'string' },
      json: { type: 'string' },
      model: { type: 'string', default: DEFAULT_MODEL },
      'max-tokens': { type: 'string' },
    },
    USAGE,
  );
  if (!values.text) throw new UsageError(`--text is required (usage: ${USAGE})`);
  const limit = values['max-tokens'] === undefined ? Infinity : option('max-tokens', values['max-tokens']);
  checkJsonPath(values.json);
  // NUL is the corpus files' document separator (above), so it is allowed here.
  const text = readTextFile('--text', values.text, { allowNul: true });

  const { weights, tokenizer } = readModel(values.model);
  const model = new ReferenceModel(weights);
  const ids: number[] = [];
  for (const doc of text.split('\u0000')) {
    ids.push(tokenizer.endOfText);
    // One by one: push(...encode(doc)) of a long document (megabytes, up to TEXT_FILE_LIMIT) overflows the stack.
    for (const id of tokenizer.encode(doc)) ids.push(id);
  }
  const window = model.config.max_seq_len;
  const usable = Math.min(ids.length, limit);
  // Module k's agreement needs positions k + 1 ahead inside a window.
  if (usable < model.config.mtp_depth + 2)
    throw new UsageError(`--text ${values.text}: gives ${usable} tokens; at least ${model.config.mtp_depth + 2} are needed`);

  const totals = emptyTotals(model.config.mtp_depth);
  const t0 = performance.now();
  for (let start = 0; start < usable; start += window) {
    const end = Math.min(start + window, usable);
    // Keep the protocol of export.py (full windows only) unless the text is shorter than one.
    if (end - start < window && start > 0) break;
    evaluateWindow(model, ids.slice(start, end), totals);
    process.stderr.write(`\r${totals.tokens} / ${usable} tokens`);
    // A turn of the event loop between windows (about a second each): SIGINT and SIGTERM are handled there.
    await turn();
  }
  process.stderr.write('\n');
  const result = report(totals);
  console.log(`tokens          ${result.tokens}`);
  console.log(`main perplexity ${result.main_ppl.toFixed(3)}`);
  for (const [k, a] of Object.entries(result.acceptance))
    console.log(
      `acceptance @${k}   ${a.toFixed(4)}   top-1..${result.top_k_coverage[k].length} ${result.top_k_coverage[k].map((c) => c.toFixed(3)).join(' ')}`,
    );
  console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s on the CPU reference)`);
  if (values.json) writeJsonFile(values.json, JSON.stringify(result) + '\n');
});
