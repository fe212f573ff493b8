// Draft trees on the CPU reference engine: every node's candidates are its drafter's top ones from
// that node's own branch (checked against a fresh teacher-forced run of the branch), every verify
// row is the main model's argmax after its branch, and greedy output equals the baseline's.
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { acceptedPath, decode } from '../../src/decode/decode-run.ts';
import { DraftTree } from '../../src/model/draft-tree.ts';
import { argmax, topCandidates } from '../../src/model/ops.ts';
import { forwardWindow } from '../../src/model/teacher-forced.ts';
import { readModel } from '../../scripts/node-model.ts';

const python = readModel('python-mtp');
const kjv = readModel('kjv-mtp');
// root -> 1, 2; 1 -> 3, 4; 2 -> 5; 3 -> 6, 7; 5 -> 8
const tree = new DraftTree([0, 0, 1, 1, 2, 3, 3, 5], [0, 1, 0, 1, 0, 0, 1, 0]);

describe('draft trees on the CPU engine', () => {
  it('candidates and verdicts equal a fresh run of each branch, and the kept path is what a fresh prefill computes', async () => {
    const model = new ReferenceModel(python.weights);
    const engine = new CpuEngine(model);
    const committed = python.tokenizer.encode('def parse(self, text):\n    """Return the tokens of text."""\n');
    const first = await engine.prefill(committed, 3);
    engine.commit([first]);
    committed.push(first);
    let sideBranches = 0;
    for (let s = 0; s < 6; s++) {
      const { tokens, verified } = await engine.treeStep(tree);
      const L = committed.length;
      const branch = (n: number) =>
        tree
          .path(n)
          .slice(1)
          .map((m) => tokens[m - 1]);
      for (let n = 0; n <= tree.size; n++) {
        const fresh = forwardWindow(model, [...committed, ...branch(n)]);
        const j = tree.depthOf[n];
        expect(verified[n]).toBe(argmax(fresh.mainLogits[L - 1 + j]));
        const kids = tree.children(n);
        if (kids.length) expect(kids.map((c) => tokens[c - 1])).toEqual(topCandidates(fresh.mtpLogits[j][L - 2], kids.length));
      }
      // Accept greedily along the tree.
      const path = acceptedPath(tree, tokens, verified);
      if (path.some((n, i) => n !== i + 1)) sideBranches++;
      const accepted = [...path.map((n) => tokens[n - 1]), verified[path.at(-1) ?? 0]];
      engine.commit(accepted);
      committed.push(...accepted);
    }
    // The next chain step's verdict equals a fresh prefill's: the kept path's KV is in place.
    const { verified } = await engine.step(1);
    expect(verified[0]).toBe(argmax(forwardWindow(model, committed).mainLogits[committed.length - 1]));
    // Not a quality bar: only that a side branch was kept at least once here.
    expect(sideBranches).toBeGreaterThan(0);
  });

  it.each([
    ['python-mtp', python, 'class Stack:\n    def push(self, item):'],
    ['kjv-mtp', kjv, 'And the LORD spake unto Moses, saying,'],
  ])('%s: greedy output with trees of 4, 8 and 16 rows equals the baseline (no-repeat rule on)', async (_, m, text) => {
    const model = new ReferenceModel(m.weights);
    const prompt = m.tokenizer.encode(text);
    const noRepeatNgram = m.decoding.noRepeatNgram;
    const base = await decode(new CpuEngine(model), prompt, { depth: 0, maxTokens: 40, noRepeatNgram });
    expect(base.tokens).toHaveLength(40);
    for (const rows of [4, 8, 16]) {
      const shape = DraftTree.fromCoverage(
        [
          [0.72, 0.86, 0.91, 0.94],
          [0.71, 0.85, 0.9, 0.93],
          [0.71, 0.85, 0.9, 0.93],
        ],
        rows,
        3,
      );
      const spec = await decode(new CpuEngine(model), prompt, { depth: 3, tree: shape, maxTokens: 40, noRepeatNgram });
      expect(spec.tokens).toEqual(base.tokens);
      expect(spec.steps).toBeLessThan(base.steps);
    }
  });

  it('near the end of the context a tree run drafts chains, then stops full, with the baseline text', async () => {
    const model = new ReferenceModel(kjv.weights);
    const max = model.config.max_seq_len;
    const prompt = Array.from({ length: max - 24 }, (_, i) => ((i * 7) % 300) + 40);
    const shape = DraftTree.fromCoverage(
      [
        [0.72, 0.86, 0.91, 0.94],
        [0.71, 0.85, 0.9, 0.93],
        [0.71, 0.85, 0.9, 0.93],
      ],
      16,
      3,
    );
    const rows: number[] = [];
    const base = await decode(new CpuEngine(model), prompt, { depth: 0, maxTokens: 100 });
    const run = await decode(new CpuEngine(model), prompt, { depth: 3, tree: shape, maxTokens: 100, onStep: (e) => rows.push(e.rows) });
    expect(run.stop).toBe('context-full');
    expect(run.tokens).toEqual(base.tokens);
    // Trees while the nodes have slots, then chains (depth + 1 rows or fewer).
    expect(rows[0]).toBe(16);
    expect(rows.at(-1)).toBeLessThanOrEqual(4);
  });
});
