// Trains a model's BPE tokenizer on its training split and encodes both splits for PyTorch.
//
//   npm run train-tokenizer -- MODEL   ->  public/models/MODEL.tokenizer.json
//                                          training/data/MODEL/{train,val}.bin (uint16 little-endian
//                                          ids, a document-boundary token before every document)
//
// Vocabulary 1024: 256 bytes + 767 merges + the boundary token. The embedding is shared with the
// output head, so at d = 128 the vocabulary costs 131k parameters and the head is the largest
// matrix product of a decode step; 1024 keeps both small while still merging the common words,
// and, in code, newline-plus-indentation runs and keywords (the pre-tokenizer keeps a run of
// whitespace in one piece, so BPE merges "\n        " into one token).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '../src/model/tokenizer.ts';
import { trainBPE } from './bpe-train.ts';
import { DOC_SEPARATOR } from './corpus-format.ts';

const VOCAB_SIZE = 1024;
const model = process.argv.slice(2).filter((a) => a !== '--')[0];
const here = dirname(new URL(import.meta.url).pathname);
const dataDir = join(here, 'data', model ?? '');
if (!model || !existsSync(join(dataDir, 'train.txt'))) {
  console.error(`usage: npm run train-tokenizer -- MODEL (after npm run prepare-corpus -- MODEL; no ${join(dataDir, 'train.txt')})`);
  process.exit(2);
}
const tokenizerPath = join(here, '..', 'public', 'models', `${model}.tokenizer.json`);

const docs = (split: string) => readFileSync(join(dataDir, `${split}.txt`), 'utf8').split(DOC_SEPARATOR);
const trainDocs = docs('train');

const t0 = performance.now();
const json = trainBPE(trainDocs, VOCAB_SIZE);
writeFileSync(tokenizerPath, JSON.stringify(json));
console.log(`trained ${json.merges.length} merges in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${tokenizerPath}`);

const tokenizer = new Tokenizer(json);
for (const split of ['train', 'val']) {
  const splitDocs = split === 'train' ? trainDocs : docs(split);
  const ids: number[] = [];
  let chars = 0;
  for (const doc of splitDocs) {
    ids.push(tokenizer.endOfText);
    for (const id of tokenizer.encode(doc)) ids.push(id);
    chars += doc.length;
  }
  writeFileSync(join(dataDir, `${split}.bin`), new Uint16Array(ids));
  console.log(`${split}: ${ids.length} tokens, ${(chars / ids.length).toFixed(2)} chars/token`);
}
