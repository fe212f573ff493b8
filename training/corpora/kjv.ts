// The King James Bible from Debian's bible-kjv, read with its `bible` program: one document a
// chapter, one verse a line, without the verse references (a reader sees prose, and the model
// spends nothing on counting verses). Every 20th chapter is held out whole.
import { execFileSync } from 'node:child_process';
import { debianVersion, HOLDOUT_EVERY, splitHeldOut, type PreparedCorpus } from './source.ts';

/** `Ge1:1 In the beginning ...`: book abbreviation, chapter, verse, text. */
const VERSE = /^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$/;

export function prepareKjv(): PreparedCorpus {
  const version = debianVersion('bible-kjv');
  const raw = execFileSync('bible', ['-f', 'gen1:1-rev22:21'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const chapters: string[][] = [];
  let current = '';
  for (const line of raw.split('\n')) {
    if (line === '') continue;
    const m = VERSE.exec(line);
    if (!m) throw new Error(`bible printed a line that is not a verse: ${JSON.stringify(line.slice(0, 80))}`);
    const chapter = `${m[1]} ${m[2]}`;
    if (chapter !== current) {
      chapters.push([]);
      current = chapter;
    }
    chapters[chapters.length - 1].push(m[4].trim());
  }
  const docs = chapters.map((verses) => verses.join('\n') + '\n');
  const { train, val } = splitHeldOut(docs);
  return {
    train,
    val,
    source: {
      package: 'bible-kjv',
      version,
      licence: 'public domain (King James Version, 1769 text as shipped by Debian)',
      extraction: '`bible -f gen1:1-rev22:21`; one document per chapter, one verse per line, verse references removed',
      split: `every ${HOLDOUT_EVERY}th chapter (in canonical order) held out whole: ${val.length} of ${docs.length}`,
    },
  };
}
