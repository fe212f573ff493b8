// The per-step slot layout: within one submission every row batch has a slot of its own, inside
// the buffer, for every D the loader takes (CONFIG_BOUNDS.mtp_depth) and every depth and tree.
import { describe, expect, it } from 'vitest';
import { stepSlots } from '../../src/gpu/step-slots.ts';
import { CONFIG_BOUNDS } from '../../src/model/config.ts';

const [minD, maxD] = CONFIG_BOUNDS.mtp_depth;

function expectOwnSlots(slots: number[], count: number, what: string) {
  expect(new Set(slots).size, `${what}: ${slots}`).toBe(slots.length);
  for (const s of slots) expect(s >= 0 && s < count, `${what}: slot ${s} of ${count}`).toBe(true);
}

describe('stepSlots', () => {
  it('gives each row batch of a submission its own slot, for D up to the loader limit', () => {
    for (let D = minD; D <= maxD; D++) {
      const s = stepSlots(D);
      const modules = (n: number) => Array.from({ length: n }, (_, k0) => k0);
      expectOwnSlots([s.prefillRows, s.prefillHead, ...modules(D).map(s.prefillModule)], s.count, `D ${D} prefill`);
      for (let depth = 0; depth <= D; depth++) {
        // A chain or tree step of `depth`: the compaction, each module's rows and head, the verify batch.
        const step = [s.compact, ...modules(depth).flatMap((k0) => [s.moduleRows(k0), s.moduleHead(k0)]), s.verify(depth)];
        expectOwnSlots(step, s.count, `D ${D} depth ${depth}`);
      }
    }
  });

  it('refuses a module or depth the model does not have', () => {
    const s = stepSlots(3);
    expect(() => s.moduleRows(3)).toThrow(/no MTP module 4 of 3/);
    expect(() => s.verify(4)).toThrow(/depth 4 of 3/);
    expect(() => stepSlots(-1)).toThrow(RangeError);
  });
});
