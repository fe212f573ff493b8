// What the tools do with a damaged model and a prompt too long for the context, without a GPU: the
// model reader names the file at fault (a UsageError, exit 2 in a tool), and the benchmark's core
// cuts a long prompt as the page does instead of throwing.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, readModel } from '../../scripts/node_model.ts';
import { UsageError } from '../../scripts/cli_options.ts';
import { runBench } from '../../src/decode/bench.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';

const NAME = 'brown-mtp';

function damagedCopy(file: string, bytes: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'models-')) + '/';
  for (const suffix of ['.safetensors', '.tokenizer.json', '.card.json']) copyFileSync(`${MODELS_DIR}${NAME}${suffix}`, `${dir}${NAME}${suffix}`);
  writeFileSync(`${dir}${NAME}${file}`, bytes);
  return dir;
}

describe('readModel', () => {
  it.each([
    ['.safetensors', new Uint8Array([1, 2, 3]), /^public\/models\/brown-mtp\.safetensors: /],
    ['.safetensors', new Uint8Array(64), /^public\/models\/brown-mtp\.safetensors: /],
    ['.tokenizer.json', '{"type": "byte-bpe"', /^public\/models\/brown-mtp\.tokenizer\.json: /],
    ['.card.json', '{}', /^public\/models\/brown-mtp\.card\.json: decoding is missing/],
  ])('a damaged %s is a UsageError naming it', (file, bytes, want) => {
    const dir = damagedCopy(file, bytes);
    expect(() => readModel(NAME, dir)).toThrow(UsageError);
    expect(() => readModel(NAME, dir)).toThrow(want);
  });

  it('a missing file is "not found", by name', () => {
    expect(() => readModel(NAME, mkdtempSync(join(tmpdir(), 'empty-')) + '/')).toThrow('public/models/brown-mtp.safetensors: not found');
  });
});

describe('runBench with a prompt longer than the context', () => {
  it('keeps its tail, as the page does, and says so', async () => {
    const { weights, tokenizer } = readModel(NAME);
    const engine = new CpuEngine(new ReferenceModel(weights));
    const long = 'The committee met again and nothing was decided. '.repeat(80);
    const log: string[] = [];
    const report = await runBench(engine, tokenizer, NAME, { prompts: [long], tokens: 4, depth: 1, runs: 1, log: (l) => log.push(l) });
    expect(report.outputs_identical).toBe(true);
    expect(log.join('\n')).toMatch(/note: .*kept its last \d+ tokens/);
  });
});
