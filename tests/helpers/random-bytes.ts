// Reproducible binary data for tests: mulberry32, a small seeded pseudo-random generator.

/** `length` pseudo-random bytes, the same for the same seed. */
export function seededBytes(length: number, seed: number): Uint8Array {
  let state = seed | 0;
  return Uint8Array.from({ length }, () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 24;
  });
}
