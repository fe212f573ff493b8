// Every numeric option of a run, defined once: its kind and limits, whatever reads it. The
// command-line tools (--name), the browser bench's query (bench.html?name=...) and the kiosk's
// address (/?name=...) all check a value here, so a limit is the same everywhere; what each does
// with a bad value is its own (a tool exits 2 with the message, bench.html reports it, the kiosk
// warns and keeps the default). Limits that depend on the model (depth up to D, tokens up to what
// the context leaves) narrow these at run time. Below the table, the lenient rules the page's
// controls and controller apply (a value out of range is clamped there, not refused).
import { MAX_NO_REPEAT_NGRAM } from '../model/card.ts';
import { TREE_MAX_ROWS } from '../model/draft-tree.ts';

/** The hottest temperature a run allows (beyond it the tiny models' text is noise). */
export const MAX_TEMPERATURE = 2;

export interface OptionSpec {
  kind: 'integer' | 'number';
  min: number;
  max: number;
  /** The lower limit itself is not allowed (top-p: above 0). */
  minExclusive?: boolean;
}

export const RUN_OPTIONS = {
  /** New tokens a run: at least one step after the prefill's token. */
  tokens: { kind: 'integer', min: 2, max: 4096 },
  depth: { kind: 'integer', min: 1, max: 16 },
  /** A draft tree's verify rows, root included (0: the chain; 1 would verify no draft). */
  tree: { kind: 'integer', min: 0, max: TREE_MAX_ROWS },
  runs: { kind: 'integer', min: 1, max: 100 },
  temperature: { kind: 'number', min: 0, max: MAX_TEMPERATURE },
  'top-p': { kind: 'number', min: 0, max: 1, minExclusive: true },
  seed: { kind: 'integer', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  'no-repeat-ngram': { kind: 'integer', min: 0, max: MAX_NO_REPEAT_NGRAM },
  /** Rounds of the cost curve T(M). */
  cost: { kind: 'integer', min: 0, max: 1000 },
  /** Profiled steps (npm run profile). */
  steps: { kind: 'integer', min: 1, max: 1000 },
  /** Tokens evaluated (npm run eval): two at least, for one prediction. */
  'max-tokens': { kind: 'integer', min: 2, max: Number.MAX_SAFE_INTEGER },
  /** Seconds a finished kiosk run stays up. */
  hold: { kind: 'number', min: 0, max: 3600 },
} as const satisfies Record<string, OptionSpec>;

export type RunOptionName = keyof typeof RUN_OPTIONS;

/** A value outside its option's limits; the message starts with the option's name. */
export class OptionError extends Error {
  override readonly name = 'OptionError';
}

/** What an option wants, in words: "an integer in 1..16", "a number in (0, 1]". */
export function describeOption(spec: OptionSpec): string {
  const range = spec.minExclusive ? `(${spec.min}, ${spec.max}]` : `${spec.min}..${spec.max}`;
  if (spec.kind === 'integer') return spec.min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer in ${range}`;
  return spec.minExclusive ? `in ${range}` : `a number in ${range}`;
}

/**
 * `raw` as the value of option `name` (its label in messages: "top_p" in a query, say), within
 * `spec` (RUN_OPTIONS[name] by default; narrowed by the model, for instance); throws OptionError
 * "<label> must be <what>, got <raw>".
 */
export function parseOption(name: RunOptionName, raw: string, spec: OptionSpec = RUN_OPTIONS[name], label: string = name): number {
  const n = Number(raw);
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(n) &&
    (spec.kind === 'number' || Number.isSafeInteger(n)) &&
    (spec.minExclusive ? n > spec.min : n >= spec.min) &&
    n <= spec.max;
  if (!ok) throw new OptionError(`${label} must be ${describeOption(spec)}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * A draft tree's verify rows as every tool takes them (`raw`, under `label`): 0 (the chain) or 2.. (one
 * row verifies no draft), and only for greedy runs (`sampling`: the run samples); throws OptionError.
 */
export function parseTreeRows(raw: string, sampling: boolean, label = 'tree'): number {
  const rows = parseOption('tree', raw, undefined, label);
  if (rows === 1)
    throw new OptionError(`${label} must be 0 (the chain) or 2.. verify rows: 1 row verifies no draft, got ${JSON.stringify(raw)}`);
  if (rows > 0 && sampling) throw new OptionError(`${label}: draft trees are greedy only (a sampling run keeps the chain)`);
  return rows;
}

/** RUN_OPTIONS[name] with its maximum lowered to `max` (what the model allows). */
export function narrowed(name: RunOptionName, max: number): OptionSpec {
  return { ...RUN_OPTIONS[name], max: Math.min(RUN_OPTIONS[name].max, max) };
}

// The page's rules: a setting typed anywhere in the page (the controls, the kiosk's address) becomes one a run can take.

/** The run's temperature: 0 (greedy) for absent, non-finite or non-positive; else at most MAX_TEMPERATURE. */
export function runTemperature(t: number | undefined): number {
  return t !== undefined && Number.isFinite(t) && t > 0 ? Math.min(t, MAX_TEMPERATURE) : 0;
}

/**
 * The draft depth a run uses for a requested one: a whole number from 1 to the model's D (a
 * missing or non-numeric request is 1); 0 only for a model without MTP modules.
 */
export function runDepth(requested: number, mtpDepth: number): number {
  if (mtpDepth === 0) return 0;
  const whole = Math.floor(requested) || 1;
  return Math.min(mtpDepth, Math.max(1, whole));
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
