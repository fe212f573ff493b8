// Reads a shipped model (public/models/<name>.*) from disk, for the Node command-line tools.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../src/model/tokenizer.ts';
import { loadWeights } from '../src/model/weights.ts';

export const MODELS_DIR = fileURLToPath(new URL('../public/models/', import.meta.url));
export const DEFAULT_MODEL = 'brown-mtp';

export function readModel(name = DEFAULT_MODEL) {
  const bytes = readFileSync(`${MODELS_DIR}${name}.safetensors`);
  const weights = loadWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(`${MODELS_DIR}${name}.tokenizer.json`, 'utf8')));
  return { weights, tokenizer };
}
