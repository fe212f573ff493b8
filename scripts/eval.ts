// Teacher-forced evaluation of the reference model on any UTF-8 text:
//
//   npm run eval -- --text FILE [--json OUT] [--model NAME] [--max-tokens N]
//
// Reports the main model's perplexity and, per MTP depth k, the fraction of positions
// where module k's argmax equals the main model's argmax for the same future token.
// The text is encoded with a document-boundary token in front (and in place of every NUL
// character, the document separator of training/data/*.txt), then cut into consecutive
// windows of max_seq_len tokens, each evaluated from an empty context: the protocol of
// training/export.py, so `--text training/data/val.txt` reproduces the model card.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ReferenceModel } from '../src/model/reference.ts';
import { emptyTotals, evaluateWindow, report } from '../src/model/teacher_forced.ts';
import { DEFAULT_MODEL, readModel } from './node_model.ts';

const { values } = parseArgs({
  options: {
    text: { type: 'string' },
    json: { type: 'string' },
    model: { type: 'string', default: DEFAULT_MODEL },
    'max-tokens': { type: 'string' },
  },
});
if (!values.text) {
  console.error('usage: npm run eval -- --text FILE [--json OUT] [--model NAME] [--max-tokens N]');
  process.exit(2);
}

let text: string;
try {
  text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(values.text));
} catch (e) {
  console.error(`cannot read ${values.text} as UTF-8 text: ${(e as Error).message}`);
  process.exit(1);
}

const { weights, tokenizer } = readModel(values.model);
const model = new ReferenceModel(weights);
const ids: number[] = [];
for (const doc of text.split('\u0000')) ids.push(tokenizer.endOfText, ...tokenizer.encode(doc));
const limit = values['max-tokens'] ? Number(values['max-tokens']) : Infinity;
const window = model.config.max_seq_len;
const usable = Math.min(ids.length, limit);
if (usable < 2) {
  console.error(`the text gives ${ids.length} tokens; at least 2 are needed`);
  process.exit(1);
}

const totals = emptyTotals(model.config.mtp_depth);
const t0 = performance.now();
for (let start = 0; start < usable; start += window) {
  const end = Math.min(start + window, usable);
  // Keep the protocol of export.py (full windows only) unless the text is shorter than one.
  if (end - start < window && start > 0) break;
  evaluateWindow(model, ids.slice(start, end), totals);
  process.stderr.write(`\r${totals.tokens} / ${usable} tokens`);
}
process.stderr.write('\n');
const result = report(totals);
console.log(`tokens          ${result.tokens}`);
console.log(`main perplexity ${result.main_ppl.toFixed(3)}`);
for (const [k, a] of Object.entries(result.acceptance)) console.log(`acceptance @${k}   ${a.toFixed(4)}`);
console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s on the CPU reference)`);
if (values.json) writeFileSync(values.json, JSON.stringify(result) + '\n');
