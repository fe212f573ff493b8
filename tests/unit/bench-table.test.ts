// The docs' benchmark table from reports (src/bench/bench-table.ts): a real report of runBench on
// the CPU engine becomes one row whose cells are the report's figures.
import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/bench.ts';
import { benchTable, tableRow } from '../../src/bench/bench-table.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { readModel } from '../../scripts/node-model.ts';

describe('benchTable', () => {
  it("writes a row per report, from the report's own figures", async () => {
    const { weights, tokenizer } = readModel('brown-mtp');
    const engine = new CpuEngine(new ReferenceModel(weights));
    const report = await runBench(engine, tokenizer, 'brown-mtp', {
      runtime: 'Node',
      prompts: ['The jury said'],
      tokens: 6,
      depth: 2,
      runs: 1,
    });
    const cells = tableRow(report)
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    expect(cells[0]).toBe('brown-mtp, Node, depth 2');
    expect(cells[1]).toBe(report.baseline.tokens_per_s.toFixed(1));
    expect(cells[4]).toBe(report.mtp.tokens_per_step.toFixed(2));
    expect(cells[5]).toBe(`${report.mtp.acceptance['1'].toFixed(2)} / ${report.mtp.acceptance['2'].toFixed(2)}`);
    // The CPU engine has no cost curve, so no split of the step either.
    expect(cells[7]).toBe('—');
    expect(cells[8]).toBe(`${report.speedup.toFixed(2)}x`);
    expect(cells[9]).toBe('yes');
    const table = benchTable([report, { ...report, runtime: 'Chromium' }]).split('\n');
    expect(table).toHaveLength(4);
    expect(table[3]).toMatch(/^\| brown-mtp, Chromium, depth 2 \|/);
  });
});
