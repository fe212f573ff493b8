// Loads a model's weights from a safetensors ArrayBuffer and checks them against the model
// config stored in the file's `__metadata__` ("config", a JSON string): every tensor the
// config needs, with its shape, nothing else, and only finite values.
import { expectedTensors, parseConfig, type ModelConfig } from './config.ts';
import { parseSafetensors, WeightsFormatError, type SafetensorsTensor } from './safetensors.ts';

/** What either engine needs of a model: its config and its tensors by name. */
export interface Weights {
  config: ModelConfig;
  tensor(name: string): Float32Array;
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
