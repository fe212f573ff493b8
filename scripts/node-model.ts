// Reads a shipped model (public/models/<name>.*) from disk, for the Node command-line tools. The
// name must be one of the catalogue's (src/model/catalogue.ts): never a path.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodingSettings } from '../src/model/card.ts';
import { DEFAULT_MODEL, modelEntry, unknownModelMessage } from '../src/model/catalogue.ts';
import { Tokenizer } from '../src/model/tokenizer.ts';
import { loadWeights } from '../src/model/weights.ts';
import { UsageError } from './cli-options.ts';

export const MODELS_DIR = fileURLToPath(new URL('../public/models/', import.meta.url));
export { DEFAULT_MODEL };

/**
 * The model's weights, tokenizer, decoding settings and catalogue entry; a UsageError names the
 * file at fault. `dir` is public/models/ but in the tests of a damaged copy.
 */
export function readModel(name = DEFAULT_MODEL, dir = MODELS_DIR) {
  const entry = modelEntry(name);
  if (!entry) throw new UsageError(`--model: ${unknownModelMessage(name)}`);
  const file = (suffix: string) => `public/models/${name}${suffix}`;
  const read = <T>(suffix: string, parse: (bytes: Buffer) => T): T => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(`${dir}${name}${suffix}`);
    } catch (e) {
      throw new UsageError(`${file(suffix)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
    }
    try {
      return parse(bytes);
    } catch (e) {
      throw new UsageError(`${file(suffix)}: ${(e as Error).message}`);
    }
  };
  const weights = read('.safetensors', (b) => loadWeights(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
  const tokenizer = read('.tokenizer.json', (b) => new Tokenizer(JSON.parse(b.toString('utf8'))));
  const card = read('.card.json', (b) => JSON.parse(b.toString('utf8')) as unknown);
  let decoding;
  try {
    decoding = decodingSettings(card, file('.card.json'));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { name, entry, weights, tokenizer, decoding };
}
