// Writes the parts of a model card that come from decoding with the TypeScript engine, not from
// training (training/export.py keeps them when it re-exports):
//
//   npm run card -- --model NAME [--no-repeat-ngram N --why TEXT] [--tokens N]
//   npm run card -- --model NAME --sweep [--tokens N]
//
// - decoding: the model's no-repeat rule (src/decode/no-repeat.ts), the n and why it was chosen;
// - samples: greedy text from the first three of the model's prompts (src/model/prompts/NAME.txt,
//   written for this, not from the corpus), at the model's full depth, with that rule;
// - generation: acceptance per depth and tokens per step during greedy generation over all of those
//   prompts (the CPU reference engine, whose greedy decisions are the GPU engine's).
// --sweep prints, for several n, the acceptance, tokens per step, how much of the text repeats an
// earlier 8-gram (a loop), and the first sample, and writes nothing: the measurement behind --why.
import { readFileSync } from 'node:fs';
import { setImmediate as turn } from 'node:timers/promises';
import { DecodeRun } from '../src/decode/decode-run.ts';
import { acceptanceOf } from '../src/bench/bench.ts';
import { RunMetrics } from '../src/decode/metrics.ts';
import { CpuEngine } from '../src/model/cpu-engine.ts';
import { promptLines } from '../src/model/prompt-file.ts';
import { ReferenceModel } from '../src/model/reference.ts';
import { narrowed } from '../src/decode/run-options.ts';
import { option, parseToolArgs, runCli, UsageError, writeFileAtomically } from './cli-options.ts';
import { DEFAULT_MODEL, MODELS_DIR, readModel } from './node-model.ts';

const USAGE = 'npm run card -- --model NAME [--no-repeat-ngram N --why TEXT] [--sweep] [--tokens N]';
const SWEEP = [0, 3, 4, 6, 8, 12, 16];
/** A generated token "loops" when the 8-gram it ends was seen earlier in the text. */
const LOOP_NGRAM = 8;

function loopShare(sequence: readonly number[], from: number): number {
  const seen = new Set<string>();
  let loops = 0;
  for (let i = LOOP_NGRAM - 1; i < sequence.length; i++) {
    const key = sequence.slice(i - LOOP_NGRAM + 1, i + 1).join(',');
    if (i >= from && seen.has(key)) loops++;
    seen.add(key);
  }
  return loops / Math.max(1, sequence.length - from);
}

await runCli(async () => {
  const { values } = parseToolArgs(
    {
      model: { type: 'string', default: DEFAULT_MODEL },
      'no-repeat-ngram': { type: 'string' },
      why: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      tokens: { type: 'string', default: '64' },
    },
    USAGE,
  );
  const model = readModel(values.model);
  const tokens = option(
    'tokens',
    values.tokens!,
    narrowed('tokens', model.weights.config.max_seq_len - model.weights.config.mtp_depth - 32),
  );
  const engine = new CpuEngine(new ReferenceModel(model.weights));
  const depth = model.weights.config.mtp_depth;
  const prompts = promptLines(model.entry.benchPrompts);

  /** Greedy generation from every prompt under the rule's n: the figures over all of them, and each text. */
  async function generateAll(noRepeatNgram: number) {
    const metrics = new RunMetrics(depth);
    const texts: string[] = [];
    const tokenCounts: number[] = [];
    let loops = 0;
    for (const text of prompts) {
      const prompt = [model.tokenizer.endOfText, ...model.tokenizer.encode(text)];
      const run = new DecodeRun(engine, { depth, maxTokens: tokens, noRepeatNgram, endOfText: model.tokenizer.endOfText });
      await run.prefill(prompt);
      // The CPU engine's steps never wait, so without a turn of the event loop between them
      // SIGINT and SIGTERM would wait for the whole card.
      for (let e = await run.step(); e; e = await run.step()) {
        metrics.add(e);
        await turn();
      }
      loops += loopShare([...prompt, ...run.tokens], prompt.length) / prompts.length;
      texts.push(model.tokenizer.decode(run.tokens.filter((t) => t !== model.tokenizer.endOfText)));
      tokenCounts.push(run.tokens.length);
    }
    const s = metrics.snapshot();
    const acceptance = Object.fromEntries(Object.entries(acceptanceOf(s)).map(([k, a]) => [k, +a.toFixed(4)]));
    return { acceptance, tokensPerStep: s.meanTokensPerStep!, loops, texts, tokenCounts };
  }

  if (values.sweep) {
    for (const n of SWEEP) {
      const g = await generateAll(n);
      console.log(
        `no-repeat ${String(n).padStart(2)}: acceptance ${JSON.stringify(g.acceptance)}  tokens/step ${g.tokensPerStep.toFixed(2)}  ` +
          `repeats an earlier ${LOOP_NGRAM}-gram ${(100 * g.loops).toFixed(1)}%\n  ${JSON.stringify(prompts[0] + g.texts[0])}`,
      );
    }
    return;
  }

  const cardPath = `${MODELS_DIR}${model.name}.card.json`;
  const card = JSON.parse(readFileSync(cardPath, 'utf8'));
  const n = values['no-repeat-ngram'] === undefined ? model.decoding.noRepeatNgram : option('no-repeat-ngram', values['no-repeat-ngram']);
  const why = values.why ?? card.decoding?.why;
  if (!why) throw new UsageError('--why is required the first time (say what the rule is for and what was measured)');
  const g = await generateAll(n);
  const samples = prompts.slice(0, 3).map((prompt, i) => ({ prompt, text: g.texts[i], tokens: g.tokenCounts[i] }));
  card.decoding = { no_repeat_ngram: n, why };
  card.samples = {
    how: `greedy, depth ${depth}, no-repeat ${n}, ${tokens} tokens, CPU reference engine (npm run card -- --model ${model.name})`,
    samples,
  };
  card.generation = {
    how: `greedy generation from the ${prompts.length} prompts of src/model/prompts/${model.name}.txt (written for this, not from the corpus), ${tokens} tokens each, depth ${depth}, no-repeat ${n}, CPU reference engine`,
    acceptance: g.acceptance,
    tokens_per_step: +g.tokensPerStep.toFixed(3),
    repeats_earlier_8gram: +g.loops.toFixed(4),
  };
  writeFileAtomically(`public/models/${model.name}.card.json`, cardPath, JSON.stringify(card, null, 2) + '\n');
  console.log(JSON.stringify({ decoding: card.decoding, generation: card.generation }, null, 2));
  for (const x of samples) console.log(`\n--- ${JSON.stringify(x.prompt)}\n${x.prompt}${x.text}`);
});
