// Draft-tree steps of the GPU engine on real WebGPU (Dawn; SwiftShader without a GPU): the same
// candidates and verdicts as the CPU reference engine's tree step (which runs each branch as a
// chain, depth first: an oracle that shares none of the GPU's tree mask), the accepted path's KV
// moved into place (the next step equals a fresh prefill's), and greedy output equal to the
// baseline's on both new models at several budgets.
import { describe, expect, it } from 'vitest';
import { GpuEngine } from '../../src/gpu/engine.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { DraftTree } from '../../src/model/draft-tree.ts';
import { acceptedPath, decode } from '../../src/decode/decode-run.ts';
import { readModel } from '../../scripts/node-model.ts';
import { useGpu } from '../helpers/dawn.ts';
import { LOGIT_TOLERANCE, maxAbsDiff } from '../helpers/same-steps.ts';

const python = readModel('python-mtp');
const kjv = readModel('kjv-mtp');
// root -> 1, 2, 3; 1 -> 4, 5; 2 -> 6; 4 -> 7, 8; 6 -> 9
const tree = new DraftTree([0, 0, 0, 1, 1, 2, 4, 4, 6], [0, 1, 2, 0, 1, 0, 0, 1, 0]);
const coverage = [
  [0.72, 0.86, 0.91, 0.94],
  [0.71, 0.85, 0.9, 0.93],
  [0.71, 0.85, 0.9, 0.93],
];

const rig = { python: undefined as unknown as GpuEngine, kjv: undefined as unknown as GpuEngine };
const gpuHandle = useGpu(async (device) => {
  rig.python = await GpuEngine.create(device, python.weights, 'Dawn');
  rig.kjv = await GpuEngine.create(device, kjv.weights, 'Dawn');
});

/** The greedy path of a tree step (no no-repeat rule): its nodes, and the tokens a commit takes. */
function greedyPath(t: DraftTree, tokens: number[], verified: number[]): { path: number[]; commit: number[] } {
  const path = acceptedPath(t, tokens, verified);
  return { path, commit: [...path.map((n) => tokens[n - 1]), verified[path.at(-1) ?? 0]] };
}

describe('draft trees on the GPU engine', () => {
  it('every step equals the CPU tree step (candidates, verdicts, logits), side branches kept included', async () => {
    const cpu = new CpuEngine(new ReferenceModel(python.weights));
    const gpu = rig.python;
    const prompt = python.tokenizer.encode('import os\n\n\ndef walk(top):\n    for name in os.listdir(top):\n');
    const first = await gpu.prefill(prompt, 3);
    expect(first).toBe(await cpu.prefill(prompt, 3));
    gpu.commit([first]);
    cpu.commit([first]);
    let side = 0;
    for (let s = 0; s < 10; s++) {
      const g = await gpu.treeStep(tree);
      const c = await cpu.treeStep(tree);
      expect(g).toEqual(c);
      for (let n = 0; n <= tree.size; n++)
        expect(maxAbsDiff(await gpu.mainLogits(n), cpu.lastLogits.main[n]), `node ${n}`).toBeLessThan(LOGIT_TOLERANCE);
      const { path, commit } = greedyPath(tree, g.tokens, g.verified);
      if (path.some((n, i) => n !== i + 1)) side++;
      gpu.commit(commit);
      cpu.commit(commit);
    }
    // Not a quality bar: only that compaction ran (a path off the first branch was kept).
    expect(side).toBeGreaterThan(0);
  });

  it('after a kept side branch the next step is bit for bit a fresh prefill of the same tokens', async () => {
    const gpu = rig.python;
    const prompt = python.tokenizer.encode('class Queue:\n    def __init__(self):\n        self.items = []\n');
    const committed = [...prompt];
    const first = await gpu.prefill(prompt, 3);
    gpu.commit([first]);
    committed.push(first);
    let sideKept = false;
    for (let s = 0; s < 12 && !sideKept; s++) {
      const g = await gpu.treeStep(tree);
      const { path, commit } = greedyPath(tree, g.tokens, g.verified);
      sideKept = path.length >= 2 && path.some((n, i) => n !== i + 1);
      gpu.commit(commit);
      committed.push(...commit);
    }
    expect(sideKept).toBe(true);
    // The step after the commit: compaction, then the main model at the bonus token.
    const after = await gpu.step(1);
    const afterLogits = await gpu.mainLogits(0);
    const fresh = await GpuEngine.create(gpuHandle.device, python.weights, 'Dawn');
    const bonus = committed.pop()!;
    expect(await fresh.prefill(committed, 1)).toBe(bonus);
    fresh.commit([bonus]);
    const again = await fresh.step(1);
    expect(after.verified[0]).toBe(again.verified[0]);
    expect(afterLogits).toEqual(await fresh.mainLogits(0));
    fresh.destroy();
  });

  it.each([
    ['python-mtp', python, 'def read_config(path):\n    """Return the settings."""', 'python' as const],
    ['kjv-mtp', kjv, 'In the beginning God created', 'kjv' as const],
  ])('%s: greedy output with trees of 4, 8 and 16 rows equals the baseline (no-repeat rule on)', async (_, m, text, which) => {
    const engine = rig[which];
    const prompt = m.tokenizer.encode(text);
    const noRepeatNgram = m.decoding.noRepeatNgram;
    // 24 tokens: several tree steps at every budget, and kjv-mtp's no-repeat rule fires (docs/journal.md, 2026-12-02).
    const base = await decode(engine, prompt, { depth: 0, maxTokens: 24, noRepeatNgram });
    for (const rows of [4, 8, 16]) {
      const shape = DraftTree.fromCoverage(coverage, rows, 3);
      const run = await decode(engine, prompt, { depth: 3, tree: shape, maxTokens: 24, noRepeatNgram });
      expect(run.tokens, `${rows} rows`).toEqual(base.tokens);
    }
  });
});
