// Conference-screen ("kiosk") options, read from the page's address (pure: no DOM).
//
//   /?autoplay                 cycle every model's preset prompts forever: run one, hold the result, run the next
//   /?autoplay&prompt=TEXT     cycle just that prompt (repeat `prompt` to cycle several), on each model
//   &model=NAME                the model to load; with autoplay, the models to cycle (repeat `model`)
//   &depth=N                   draft depth (1 .. the model's D; a larger N is lowered to D)
//   &tree=N                    draft trees of N verify rows a step (0: the chain, the default; greedy runs only)
//   &tokens=N                  max new tokens a run (lowered to what the context allows)
//   &temperature=T             0 (greedy, the default) .. 2: sample instead
//   &hold=S                    seconds a finished result stays up before the next run (default 3)
//   &pace=auto|live|N          slow motion: Auto (the default) slows a race too quick to follow; N a fixed factor
//   &large                     large type for projectors; hides the developer sections
//
// Without `autoplay`, `prompt`, `depth`, `tree`, `tokens` and `temperature` only fill in the controls, and
// the first `model` is loaded. A bad value is ignored (the default stands) with a warning; parsing
// never throws. A model is named by its catalogue name only (src/model/catalogue.ts), never a path.
import { OptionError, parseOption } from '../decode/run-options.ts';
import { MODELS, modelEntry, unknownModelMessage, type ModelEntry } from '../model/catalogue.ts';
import type { Pace } from './race-types.ts';
import { MAX_FACTOR, parsePace } from './replay.ts';

export interface KioskOptions {
  autoplay: boolean;
  /** The prompts given with `prompt` (empty: the presets). */
  prompts: string[];
  /** The catalogue names given with `model`, in order, each once (empty: the catalogue's first; with autoplay, all). */
  models: string[];
  depth?: number;
  tree?: number;
  tokens?: number;
  temperature?: number;
  /** How long a finished run stays up in autoplay (ms). */
  holdMs: number;
  /** How the races are shown (absent: the controls' default, Auto). */
  pace?: Pace;
  large: boolean;
}

export const KIOSK_DEFAULTS = { holdMs: 3000 } as const;

const TRUE = new Set(['', '1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Reads the kiosk options from a query string (`location.search`); `warn` hears about bad values. */
export function parseKioskQuery(search: string, warn: (message: string) => void = (m) => console.warn(m)): KioskOptions {
  const q = new URLSearchParams(search);

  const flag = (name: string): boolean => {
    const values = q.getAll(name);
    if (values.length === 0) return false;
    const v = values[values.length - 1].trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    warn(`kiosk: ignoring ${name}=${JSON.stringify(values[values.length - 1])} (use ${name}, ${name}=1 or ${name}=0)`);
    return false;
  };

  // The limits are the run options' (src/decode/run-options.ts); depth and tokens are lowered
  // further to what the model allows, at run time.
  const number = (name: 'depth' | 'tree' | 'tokens' | 'temperature' | 'hold'): number | undefined => {
    const raw = q.get(name);
    if (raw === null) return undefined;
    try {
      return parseOption(name, raw);
    } catch (e) {
      if (!(e instanceof OptionError)) throw e;
      warn(`kiosk: ignoring ${name}=${JSON.stringify(raw)} (${e.message})`);
      return undefined;
    }
  };

  const models: string[] = [];
  for (const name of q.getAll('model')) {
    if (!modelEntry(name)) warn(`kiosk: ignoring model=${JSON.stringify(name)} (${unknownModelMessage(name)})`);
    else if (!models.includes(name)) models.push(name);
  }

  const hold = number('hold');
  const rawPace = q.get('pace');
  const pace = rawPace === null ? undefined : parsePace(rawPace);
  if (rawPace !== null && !pace)
    warn(`kiosk: ignoring pace=${JSON.stringify(rawPace)} (pace must be auto, live or a factor in 1..${MAX_FACTOR})`);
  return {
    autoplay: flag('autoplay'),
    prompts: q.getAll('prompt'),
    models,
    depth: number('depth'),
    tree: number('tree'),
    tokens: number('tokens'),
    temperature: number('temperature'),
    holdMs: hold === undefined ? KIOSK_DEFAULTS.holdMs : Math.round(hold * 1000),
    pace,
    large: flag('large'),
  };
}

/** The prompts autoplay cycles: the ones given in the address, else the presets. */
export function kioskPrompts(options: Pick<KioskOptions, 'prompts'>, presets: readonly string[]): string[] {
  return options.prompts.length > 0 ? [...options.prompts] : [...presets];
}

/** One model's part of the autoplay cycle. */
export interface CycleModel {
  model: string;
  prompts: string[];
}

/**
 * What autoplay cycles: the models given in the address (else the whole catalogue, in its
 * order), each with its presets, or with the prompts given in the address.
 */
export function kioskCycle(options: Pick<KioskOptions, 'prompts' | 'models'>, catalogue: readonly ModelEntry[] = MODELS): CycleModel[] {
  const entries = options.models.length > 0 ? options.models.flatMap((name) => catalogue.filter((m) => m.name === name)) : catalogue;
  return entries.map((m) => ({
    model: m.name,
    prompts: kioskPrompts(
      options,
      m.presets.map((p) => p.text),
    ),
  }));
}

/** The model the page loads first: the first one the address gives, else the catalogue's first. */
export function kioskModel(options: Pick<KioskOptions, 'models'>, catalogue: readonly ModelEntry[] = MODELS): string {
  return options.models[0] ?? catalogue[0].name;
}
