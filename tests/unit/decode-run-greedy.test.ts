// The greedy decode loop on the CPU reference engine: speculative output equals the
// baseline's token for token, and the engine's drafts are the MTP modules' own argmax.
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { acceptedPrefix, decode } from '../../src/decode/decode-run.ts';
import { argmax } from '../../src/model/ops.ts';
import { forwardWindow } from '../../src/model/teacher-forced.ts';
import { readModel } from '../../scripts/node-model.ts';

const { weights, tokenizer } = readModel('brown-mtp');
const model = new ReferenceModel(weights);
const prompts = ['The jury said', 'In the morning, she', 'He had never seen'];

describe('greedy speculative decoding on the CPU engine', () => {
  it.each(prompts)('depth 1 and 2 reproduce the baseline for %j', async (text) => {
    const prompt = [tokenizer.endOfText, ...tokenizer.encode(text)];
    const run = (depth: number) => decode(new CpuEngine(model), prompt, { depth, maxTokens: 24 });
    const base = await run(0);
    expect(base.tokens).toHaveLength(24);
    expect(base.steps).toBe(23);
    for (const depth of [1, 2]) {
      const spec = await run(depth);
      expect(spec.tokens).toEqual(base.tokens);
      // A step commits at most depth + 1 tokens, so it takes at least that many fewer steps.
      expect(spec.steps).toBeGreaterThanOrEqual(Math.ceil(23 / (depth + 1)));
    }
  });

  it('drafts equal a fresh teacher-forced run of the MTP chain after every step (catch-up is complete)', async () => {
    const engine = new CpuEngine(model);
    const committed = [tokenizer.endOfText, ...tokenizer.encode('The man said that')];
    const first = await engine.prefill(committed, 2);
    engine.commit([first]);
    committed.push(first);
    let acceptedTotal = 0;
    for (let s = 0; s < 8; s++) {
      const { drafts, verified } = await engine.step(2);
      const L = committed.length;
      expect(engine.length).toBe(L);
      const fresh = forwardWindow(model, [...committed, drafts[0]]);
      expect(drafts[0]).toBe(argmax(fresh.mtpLogits[0][L - 2]));
      expect(drafts[1]).toBe(argmax(fresh.mtpLogits[1][L - 2]));
      expect(verified[0]).toBe(argmax(fresh.mainLogits[L - 1]));
      const a = acceptedPrefix(drafts, verified);
      acceptedTotal += a;
      const tokens = [...drafts.slice(0, a), verified[a]];
      engine.commit(tokens);
      committed.push(...tokens);
    }
    // Not a quality bar: only that the accept path (a > 0) was exercised by this prompt.
    expect(acceptedTotal).toBeGreaterThan(0);
  });

  it('stops when the context is full and says so', async () => {
    const max = model.config.max_seq_len;
    const prompt = Array.from({ length: max - 3 }, (_, i) => ((i * 7) % 200) + 32);
    const result = await decode(new CpuEngine(model), prompt, { depth: 2, maxTokens: 100 });
    expect(result.stop).toBe('context-full');
    expect(prompt.length + result.tokens.length).toBe(max + 1);
  });

  it('stops on an aborted signal without another step', async () => {
    const controller = new AbortController();
    let steps = 0;
    const result = await decode(new CpuEngine(model), [tokenizer.endOfText], {
      depth: 1,
      maxTokens: 50,
      signal: controller.signal,
      onStep: () => ++steps === 2 && controller.abort(),
    });
    expect(result.stop).toBe('aborted');
    expect(result.steps).toBe(2);
  });
});
