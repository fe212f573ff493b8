// The rules a run's settings follow, wherever they are typed (the controls, the kiosk's address, a
// test): one definition each, imported by all of them.

import { MAX_TEMPERATURE } from '../decode/run-options.ts';
import { TREE_MAX_ROWS } from '../model/draft-tree.ts';

/** The run's temperature: 0 (greedy) for absent, non-finite or non-positive; else at most MAX_TEMPERATURE. */
export function runTemperature(t: number | undefined): number {
  return t !== undefined && Number.isFinite(t) && t > 0 ? Math.min(t, MAX_TEMPERATURE) : 0;
}

/**
 * The draft depth a run uses for a requested one: a whole number from 1 to the model's D (a
 * missing or non-numeric request is 1); 0 only for a model without MTP modules.
 */
export function runDepth(requested: number, modelDepth: number): number {
  if (modelDepth === 0) return 0;
  const whole = Math.floor(requested) || 1;
  return Math.min(modelDepth, Math.max(1, whole));
}

/** The draft tree's verify rows a run uses for a requested number: 0 (the chain) for absent, non-numeric
 * or below 2 (one row verifies no draft); else a whole number up to TREE_MAX_ROWS. */
export function runTreeRows(requested: number | undefined): number {
  const whole = Math.floor(requested ?? 0) || 0;
  return whole < 2 ? 0 : Math.min(whole, TREE_MAX_ROWS);
}

/** A fresh 32-bit seed (crypto where there is one). */
export function freshSeed(): number {
  return globalThis.crypto?.getRandomValues
    ? globalThis.crypto.getRandomValues(new Uint32Array(1))[0]
    : Math.floor(Math.random() * 2 ** 32);
}
