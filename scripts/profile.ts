// Per-kernel GPU time of decode steps in Node through Dawn, for developers changing the shaders:
// the page's profiler (src/app/profile.ts) run over several steps, summarised by median.
//
//   npm run profile -- [--prompt TEXT] [--depth D] [--steps N] [--json OUT]
//
// Each sample prefills the prompt, takes one ordinary step, then one profiled step of `depth`
// drafts (GPU timestamps where the adapter has timestamp-query, else wall-clock per kernel, an
// upper bound). Prints the median milliseconds per kernel family and per phase, and T(M).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { profileOneStep } from '../src/app/profile.ts';
import { GpuEngine } from '../src/gpu/engine.ts';
import { median, Profiler } from '../src/gpu/profiler.ts';
import { readModel } from './node_model.ts';
import { openNodeGpu } from './node_gpu.ts';
import { integerOption } from './cli_options.ts';

const { values } = parseArgs({
  options: {
    prompt: { type: 'string', default: 'The committee will meet again next week to discuss the plan for the new' },
    depth: { type: 'string', default: '2' },
    steps: { type: 'string', default: '9' },
    json: { type: 'string' },
  },
});
const { navigatorGpu, device, adapterName } = await openNodeGpu();
const { weights, tokenizer } = readModel();
const depth = integerOption('depth', values.depth!, 1, weights.config.mtp_depth);
const steps = integerOption('steps', values.steps!, 1, 1000);

const engine = await GpuEngine.create(device, weights, adapterName);
const profiler = new Profiler(device);
const prompt = [tokenizer.endOfText, ...tokenizer.encode(values.prompt!)];
const samples: Record<string, number[]> = {};
const add = (key: string, ms: number) => (samples[key] ??= []).push(ms);
for (let i = 0; i < steps; i++) {
  const step = await profileOneStep(engine, profiler, prompt, depth, { costRepeats: 3 });
  for (const [kernel, ms] of Object.entries(step.profile.byKernel)) add(`kernel ${kernel}`, ms);
  for (const [phase, ms] of Object.entries(step.profile.byPhase)) add(`phase ${phase}`, ms!);
  add('total', step.profile.totalMs);
  for (const [M, ms] of Object.entries(step.costCurveMs)) add(`T(${M})`, ms);
}
const summary = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, +median(v).toFixed(3)]));
console.log(`adapter ${adapterName}   ${profiler.source}   depth ${depth}   median of ${steps} steps (ms)`);
for (const [key, ms] of Object.entries(summary)) console.log(`  ${key.padEnd(16)} ${ms.toFixed(2).padStart(8)}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ adapter: adapterName, source: profiler.source, depth, steps, median_ms: summary }, null, 2) + '\n');
profiler.destroy();
engine.destroy();
device.destroy();
void navigatorGpu;
process.exit(0);
