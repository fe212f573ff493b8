// Per-kernel GPU time of decode steps in Node through Dawn, for developers changing the shaders:
// the page's profiler (src/app/profile.ts) run over several steps, summarised by median.
//
//   npm run profile -- [--model NAME] [--prompt TEXT] [--depth D] [--tree N] [--steps N] [--json OUT]
//
// --prompt defaults to the model's first preset, --depth to its D; a mistake exits with status 2.
//
// Each sample prefills the prompt, takes one ordinary step, then one profiled step of `depth`
// drafts, or of a draft tree of N verify rows with --tree (GPU timestamps where the adapter has timestamp-query, else wall-clock per kernel, an
// upper bound). Prints the median milliseconds per kernel family and per phase, and T(M).
import { profileOneStep } from '../src/app/profile.ts';
import { preparePrompt } from '../src/decode/prompt.ts';
import { GpuEngine } from '../src/gpu/engine.ts';
import { median } from '../src/model/median.ts';
import { Profiler } from '../src/gpu/profiler.ts';
import { modelEntry } from '../src/model/catalogue.ts';
import { DEFAULT_MODEL, readModel } from './node-model.ts';
import { openNodeGpu } from './node-gpu.ts';
import { narrowed } from '../src/decode/run-options.ts';
import { checkJsonPath, option, parseToolArgs, runCli, treeOption, writeJsonFile } from './cli-options.ts';
import { draftTreeFor } from '../src/model/draft-tree.ts';

const USAGE = 'npm run profile -- [--model NAME] [--prompt TEXT] [--depth D] [--tree N] [--steps N] [--json OUT]';

await runCli(async () => {
  const { values } = parseToolArgs(
    {
      model: { type: 'string', default: DEFAULT_MODEL },
      prompt: { type: 'string' },
      depth: { type: 'string' },
      tree: { type: 'string', default: '0' },
      steps: { type: 'string', default: '9' },
      json: { type: 'string' },
    },
    USAGE,
  );
  const { weights, tokenizer, decoding } = readModel(values.model);
  const config = weights.config;
  const depth = option('depth', values.depth ?? String(config.mtp_depth), narrowed('depth', config.mtp_depth));
  const steps = option('steps', values.steps!);
  const treeRows = treeOption(values.tree!, false);
  const tree = treeRows > 0 ? draftTreeFor(decoding.treeCoverage, treeRows, depth) : undefined;
  checkJsonPath(values.json);
  // Room for the warm-up step, the profiled step and the cost curve's 4 rows (as the page's profiler).
  const text = values.prompt ?? modelEntry(values.model!)!.presets[0].text;
  const prepared = preparePrompt(tokenizer, text, {
    maxSeqLen: config.max_seq_len,
    depth,
    maxTokens: 2 * (depth + 1) + Math.max(4, treeRows),
  });
  for (const note of prepared.notes) console.log(`note: ${note}`);
  const prompt = prepared.tokens;
  const { navigatorGpu, device, adapterName } = await openNodeGpu();
  const engine = await GpuEngine.create(device, weights, adapterName);
  const profiler = new Profiler(device);
  const samples: Record<string, number[]> = {};
  const add = (key: string, ms: number) => (samples[key] ??= []).push(ms);
  let dispatches = { mtp: 0, baseline: 0 };
  for (let i = 0; i < steps; i++) {
    const step = await profileOneStep(engine, profiler, prompt, depth, { costRepeats: 3, tree });
    for (const [kernel, ms] of Object.entries(step.profile.byKernel)) add(`kernel ${kernel}`, ms);
    for (const [phase, ms] of Object.entries(step.profile.byPhase)) add(`phase ${phase}`, ms!);
    add('total', step.profile.totalMs);
    for (const [M, ms] of Object.entries(step.costCurveMs)) add(`T(${M})`, ms);
    dispatches = step.dispatches;
  }
  const summary = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, +median(v).toFixed(3)]));
  const what = tree ? `a tree of ${treeRows} rows (${tree.describe()})` : `depth ${depth}`;
  console.log(`adapter ${adapterName}   ${profiler.source}   ${what}   median of ${steps} steps (ms)`);
  for (const [key, ms] of Object.entries(summary)) console.log(`  ${key.padEnd(16)} ${ms.toFixed(2).padStart(8)}`);
  console.log(`dispatches a step: MTP ${what} ${dispatches.mtp}, baseline ${dispatches.baseline}`);
  if (values.json)
    writeJsonFile(
      values.json,
      JSON.stringify(
        {
          adapter: adapterName,
          source: profiler.source,
          depth,
          tree: tree ? { rows: treeRows, shape: tree.describe() } : null,
          steps,
          median_ms: summary,
          dispatches_per_step: dispatches,
        },
        null,
        2,
      ) + '\n',
    );
  profiler.destroy();
  engine.destroy();
  device.destroy();
  void navigatorGpu;
  process.exit(0);
});
