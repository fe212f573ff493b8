// Shared by the GPU engine tests: the GPU engine and the CPU reference engine, step by step.
import { expect } from 'vitest';
import { acceptedPrefix } from '../../src/decode/decode-run.ts';
import type { GpuEngine } from '../../src/gpu/engine.ts';
import type { CpuEngine } from '../../src/model/cpu-engine.ts';

/**
 * GPU (f32 fma chains, float32 exp) against the float64-accumulating reference: the difference
 * after 4 to 12 layers (the shipped models) and the head stays under 1e-3 on logits of magnitude ~10.
 */
export const LOGIT_TOLERANCE = 1e-3;
export const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/**
 * Prefills `prompt`, then takes `steps` steps of `depth` drafts on both engines, committing the
 * accepted drafts and the bonus token: the same drafts and verify tokens, logits within tolerance.
 * Returns the number of drafts rejected (a test needs some, or the roll-back went untested). With
 * `rollBackOddSteps`, every odd step keeps only the main model's first token, as if every draft had
 * been rejected (a sampling step may do that), so the roll-back runs whatever the model drafts.
 */
export async function expectSameSteps(
  gpu: GpuEngine,
  cpu: CpuEngine,
  prompt: readonly number[],
  steps: number,
  depth: number,
  rollBackOddSteps = false,
): Promise<number> {
  const first = await gpu.prefill(prompt, depth);
  expect(first).toBe(await cpu.prefill(prompt, depth));
  gpu.commit([first]);
  cpu.commit([first]);
  let rejected = 0;
  for (let s = 0; s < steps; s++) {
    const g = await gpu.step(depth);
    const c = await cpu.step(depth);
    expect(g).toEqual(c);
    const logits = await gpu.readLogits(depth);
    logits.main.forEach((row, j) => expect(maxAbsDiff(row, cpu.lastLogits.main[j]), `main row ${j}`).toBeLessThan(LOGIT_TOLERANCE));
    logits.mtp.forEach((row, k0) => expect(maxAbsDiff(row, cpu.lastLogits.mtp[k0]), `mtp ${k0 + 1}`).toBeLessThan(LOGIT_TOLERANCE));
    const a = rollBackOddSteps && s % 2 === 1 ? 0 : acceptedPrefix(g.drafts, g.verified);
    rejected += depth - a;
    const tokens = [...g.drafts.slice(0, a), g.verified[a]];
    gpu.commit(tokens);
    cpu.commit(tokens);
  }
  return rejected;
}
