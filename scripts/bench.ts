// The headless benchmark: the same engine and decode code as the page, in Node through Dawn
// (the `webgpu` package): on a machine without a GPU on SwiftShader, on one with a GPU the GPU.
//
//   npm run bench -- [--model NAME] [--prompts FILE] [--tokens N] [--depth D] [--tree N] [--runs R] [--temperature T]
//                    [--top-p P] [--seed S] [--no-repeat-ngram N] [--draft-vocab model|all] [--json OUT]
//
// --model: a shipped model (src/model/catalogue.ts); its prompts (src/model/prompts/NAME.txt) unless
// --prompts gives a file. --depth: the model's D unless given. --tree N (greedy only): the MTP side
// drafts a tree of N verify rows, shaped by the model card's measured coverage (0, the default: the chain). --temperature 0 (default): greedy, and
// "outputs identical" checks MTP against the baseline token for token. --temperature > 0: speculative
// sampling (top-p, seeded per run); outputs then differ by design, so the report says n/a (null in
// the JSON). --no-repeat-ngram N (default: the model card's; 0 off): greedy runs never repeat an
// n-gram (src/decode/no-repeat.ts), the same rule on both sides, as in the page. --draft-vocab all: the
// MTP modules score every token instead of the model's draft vocabulary (the lever's comparison). A mistake (a bad
// value, a missing file, an unwritable --json) exits with status 2 before the run.
import { formatReport, runBench } from '../src/bench/bench.ts';
import { GpuEngine } from '../src/gpu/engine.ts';
import { BENCH_FLAGS, readBenchOptions } from './bench-options.ts';
import { runCli, writeJsonFile } from './cli-options.ts';
import { openNodeGpu } from './node-gpu.ts';

await runCli(async () => {
  const { model, options, json } = readBenchOptions(`npm run bench -- ${BENCH_FLAGS}`);
  const { navigatorGpu, device, adapterName } = await openNodeGpu();
  const engine = await GpuEngine.create(device, model.weights, adapterName);
  const report = await runBench(engine, model.tokenizer, model.name, { ...options, runtime: 'Node', log: (line) => console.log(line) });
  console.log('\n' + formatReport(report));
  if (json) writeJsonFile(json, JSON.stringify(report, null, 2) + '\n');
  engine.destroy();
  device.destroy();
  void navigatorGpu;
  process.exit(0);
});
