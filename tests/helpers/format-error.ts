// For the tests of the weights' readers: the WeightsFormatError a call throws.
import { expect } from 'vitest';
import { WeightsFormatError } from '../../src/model/safetensors.ts';

/** Runs fn and returns the WeightsFormatError it throws (failing the test if it throws anything else). */
export function formatError(fn: () => unknown): WeightsFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsFormatError);
    return e as WeightsFormatError;
  }
  throw new Error('expected a WeightsFormatError, but nothing was thrown');
}
