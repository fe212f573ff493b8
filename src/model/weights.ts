// Loads a model's weights from a safetensors ArrayBuffer and checks them against the model
// config stored in the file's `__metadata__` ("config", a JSON string): every tensor the
// config needs, with its shape, nothing else, and only finite values; and the MTP modules' draft
// vocabulary where the file names one ("draft_vocab", a JSON array of token ids).
import { expectedTensors, parseConfig, type ModelConfig } from './config.ts';
import { parseSafetensors, WeightsFormatError, type SafetensorsTensor } from './safetensors.ts';

/** What either engine needs of a model: its config, its tensors by name, and its draft vocabulary if it has one. */
export interface Weights {
  config: ModelConfig;
  tensor(name: string): Float32Array;
  /**
   * The tokens the MTP modules' head scores, ascending (FR-Spec: the most frequent tokens of the
   * training text); undefined: all of them. The main model always scores the whole vocabulary, so a
   * draft outside it is only a rejected draft: greedy output is unchanged and sampling stays exact.
   */
  draftVocab?: Uint32Array;
}

export interface LoadedWeights extends Weights {
  config: ModelConfig;
  /** The named tensor's float32 values; throws for a name the model does not have. */
  tensor(name: string): Float32Array;
  tensors: ReadonlyMap<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** How many names an error lists before it says "and N more". */
const MAX_NAMES_LISTED = 5;

export function loadWeights(buffer: ArrayBuffer): LoadedWeights {
  const { metadata, tensors } = parseSafetensors(buffer);
  const config = readConfig(metadata);
  // Every layer and MTP module needs tensors of its own: a config that asks for more of them than
  // the file has tensors is wrong, and listing its names first could take unbounded time and memory.
  if (config.n_layers + config.mtp_depth * config.mtp_layers > tensors.size)
    throw new WeightsFormatError(
      `weights: the config asks for ${config.n_layers} layers and ${config.mtp_depth} MTP modules of ${config.mtp_layers} blocks, ` +
        `but the file has only ${tensors.size} tensors`,
    );
  const expected = expectedTensors(config);

  const missing = [...expected.keys()].filter((name) => !tensors.has(name));
  if (missing.length > 0) throw new WeightsFormatError(`weights: missing tensor${missing.length > 1 ? 's' : ''} ${listNames(missing)}`);
  const extra = [...tensors.keys()].filter((name) => !expected.has(name));
  if (extra.length > 0)
    throw new WeightsFormatError(
      `weights: unexpected tensor${extra.length > 1 ? 's' : ''} ${listNames(extra)} (not part of this model config)`,
    );

  for (const [name, shape] of expected) {
    const t = tensors.get(name)!;
    if (!sameShape(t.shape, shape))
      throw new WeightsFormatError(`weights: tensor "${name}" has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`);
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new WeightsFormatError(`weights: tensor "${name}" has a non-finite value (${data[i]}) at index ${i}`);
    }
  }

  return {
    config,
    metadata,
    tensors,
    draftVocab: readDraftVocab(metadata, config),
    tensor(name: string): Float32Array {
      const t = tensors.get(name);
      if (!t) throw new Error(`weights: no tensor named "${name}"`);
      return t.data;
    },
  };
}

function readConfig(metadata: Record<string, string>): ModelConfig {
  const text = metadata.config;
  if (!Object.hasOwn(metadata, 'config') || typeof text !== 'string')
    throw new WeightsFormatError('weights: the file\'s "__metadata__" has no "config" entry (the model config JSON)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new WeightsFormatError(`weights: "__metadata__"."config" is not valid JSON (${(e as Error).message})`);
  }
  try {
    return parseConfig(value);
  } catch (e) {
    throw new WeightsFormatError(`weights: "__metadata__"."config": ${(e as Error).message}`);
  }
}

/** The same model with its MTP modules scoring every token (a benchmark's comparison with the draft vocabulary). */
export function withoutDraftVocab<W extends Weights>(weights: W): W {
  return { ...weights, draftVocab: undefined };
}

/**
 * The fewest tokens a draft vocabulary may hold: a draft tree's drafter asks for up to 4 candidates
 * a row, and the head kernel takes columns four at a time (so the count is a multiple of 4 too).
 */
export const MIN_DRAFT_VOCAB = 4;

function readDraftVocab(metadata: Record<string, string>, config: ModelConfig): Uint32Array | undefined {
  if (!Object.hasOwn(metadata, 'draft_vocab')) return undefined;
  const field = '"__metadata__"."draft_vocab"';
  let value: unknown;
  try {
    value = JSON.parse(metadata.draft_vocab);
  } catch (e) {
    throw new WeightsFormatError(`weights: ${field} is not valid JSON (${(e as Error).message})`);
  }
  const V = config.vocab_size;
  if (!Array.isArray(value) || value.length < MIN_DRAFT_VOCAB || value.length > V || value.length % 4 !== 0)
    throw new WeightsFormatError(
      `weights: ${field} must be an array of ${MIN_DRAFT_VOCAB}..${V} token ids, a multiple of 4 of them, got ${describe(value)}`,
    );
  value.forEach((id: unknown, i) => {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= V)
      throw new WeightsFormatError(`weights: ${field}[${i}] must be a token id in 0..${V - 1}, got ${JSON.stringify(id)}`);
    if (i > 0 && (id as number) <= value[i - 1])
      throw new WeightsFormatError(`weights: ${field} must be in ascending order without repeats: [${i}] is ${id} after ${value[i - 1]}`);
  });
  return Uint32Array.from(value as number[]);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? `${value.length} of them` : JSON.stringify(value).slice(0, 40);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function listNames(names: string[]): string {
  const shown = names
    .slice(0, MAX_NAMES_LISTED)
    .map((n) => `"${n}"`)
    .join(', ');
  return names.length > MAX_NAMES_LISTED ? `${shown} and ${names.length - MAX_NAMES_LISTED} more` : shown;
}
