// Turns one Brown corpus file (word/TAG tokens, one sentence a line, paragraphs
// separated by blank lines) into natural running text.

/**
 * Tokens that attach to the word before them, with no space. Brown writes "'" for opening and
 * closing single quotes alike (317 times); all are treated as closing ("with the' Met' again").
 * Telling them apart would change the corpus that the shipped tokenizer and weights were
 * trained on, so it waits for the next retraining.
 */
const CLOSERS = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''", "'", '%']);
/** Tokens that attach to the word after them. */
const OPENERS = new Set(['(', '[', '``', '$']);

/** Strips the tag from `word/TAG` (the word itself may contain slashes). */
export function stripTag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/** Joins the words of one sentence with English spacing and straight quotes. */
export function detokenizeSentence(words: string[]): string {
  let out = '';
  let glueNext = true; // no space before the first word
  for (const word of words) {
    const text = word === '``' || word === "''" ? '"' : word === '--' ? '--' : word;
    const attachLeft = CLOSERS.has(word) || /^'(s|S|re|ve|ll|d|m|t)$/.test(word) || /^n't$/i.test(word);
    // Brown writes an abbreviation's period and the sentence's period apart ("Jr." "."): keep one.
    if (word === '.' && out.endsWith('.')) continue;
    if (!glueNext && !attachLeft) out += ' ';
    out += text;
    glueNext = OPENERS.has(word);
  }
  return out;
}

/** Detokenizes one corpus file into paragraphs separated by newlines. */
export function detokenizeDocument(raw: string): string {
  const paragraphs = raw.split(/\n[ \t]*\n/);
  const out: string[] = [];
  for (const paragraph of paragraphs) {
    const sentences = paragraph
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .map((line) => detokenizeSentence(line.split(/\s+/).map(stripTag)));
    if (sentences.length > 0) out.push(sentences.join(' '));
  }
  return out.join('\n');
}
