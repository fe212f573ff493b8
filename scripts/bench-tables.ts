// Prints the benchmark table of docs/benchmarks.md (src/bench/bench-table.ts) from the tools' own
// --json reports, so that a table is regenerated from what was measured, never typed in.
//
//   npm run bench:tables -- FILE.json [FILE.json ...]
//
// Each FILE is a report of `npm run bench -- --json FILE` or `npm run bench:browser -- --json FILE`.
// Prints one markdown table, a row per report in the order given (chain runs and tree runs may be
// mixed: the row says which). A file that is not such a report is a one-line error, exit 2.
import { readFileSync } from 'node:fs';
import type { BenchReport } from '../src/bench/bench.ts';
import { benchTable } from '../src/bench/bench-table.ts';
import { parseToolArgs, runCli, UsageError } from './cli-options.ts';

const USAGE = 'npm run bench:tables -- FILE.json [FILE.json ...]';

function readReport(file: string): BenchReport {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: ${code === 'ENOENT' ? 'not found' : `not a JSON report (${(e as Error).message})`}`);
  }
  const r = value as Partial<BenchReport>;
  for (const field of ['runtime', 'model', 'baseline', 'mtp', 'speedup', 'cost_curve_ms'] as const)
    if (r?.[field] === undefined) throw new UsageError(`${file}: not a benchmark report (no "${field}"; write one with --json)`);
  return r as BenchReport;
}

await runCli(() => {
  const { positionals } = parseToolArgs({}, USAGE, true);
  if (positionals.length === 0) throw new UsageError(`no report given (usage: ${USAGE})`);
  console.log(benchTable(positionals.map(readReport)));
});
