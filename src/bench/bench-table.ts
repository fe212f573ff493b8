// The benchmark table of docs/benchmarks.md, a row per report of `npm run bench` or `bench:browser`
// (their --json), so that the docs' tables are regenerated from what was measured, never typed in.
import type { BenchReport } from './bench.ts';

const HEAD = [
  'model, runtime, drafts',
  'baseline tok/s',
  'MTP tok/s',
  'ms/step base / MTP',
  'tokens/step',
  'acceptance',
  'dispatches base / MTP',
  'MTP step: verify + drafting ms (c)',
  'speedup',
  'identical',
  'T(M) ms',
];

const f = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));

/** One row of the table for one report. */
export function tableRow(r: BenchReport): string {
  const drafts = r.mtp.tree ? `tree ${r.mtp.tree.rows} (${r.mtp.tree.shape})` : `depth ${r.mtp.depth}`;
  const split = r.mtp_step_split_ms;
  const cells = [
    `${r.model}, ${r.runtime}, ${drafts}`,
    f(r.baseline.tokens_per_s),
    f(r.mtp.tokens_per_s),
    `${f(r.baseline.ms_per_step)} / ${f(r.mtp.ms_per_step)}`,
    f(r.mtp.tokens_per_step, 2),
    Object.values(r.mtp.acceptance)
      .map((a) => f(a, 2))
      .join(' / '),
    `${f(r.baseline.dispatches_per_step, 0)} / ${f(r.mtp.dispatches_per_step, 1)}`,
    split ? `${f(split.verify)} + ${f(split.drafting)} (${f(split.per_module, 2)})` : '—',
    `${f(r.speedup, 2)}x`,
    r.outputs_identical === null ? 'n/a' : r.outputs_identical ? 'yes' : 'NO',
    Object.entries(r.cost_curve_ms)
      .map(([m, t]) => `T(${m}) ${f(t, 0)}`)
      .join(', '),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The whole table. */
export function benchTable(reports: BenchReport[]): string {
  return [`| ${HEAD.join(' | ')} |`, `| ${HEAD.map(() => '---').join(' | ')} |`, ...reports.map(tableRow)].join('\n');
}
