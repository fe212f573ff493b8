// Prompt files (src/model/prompts/*.txt, `--prompts FILE`): one prompt a line, so that a prompt
// of code, which spans lines, is written with escapes: `\n` a newline, `\t` a tab, `\\` a
// backslash. Lines that are empty or only whitespace are skipped; the rest are kept as written
// (leading spaces are indentation in code), less a trailing carriage return.

export class PromptFileError extends Error {
  override readonly name = 'PromptFileError';
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '\\': '\\' };

/** Decodes one line's escapes; throws PromptFileError naming the line for any other backslash. */
export function unescapePrompt(line: string, lineNumber = 1): string {
  return line.replace(/\\(.?)/g, (_, c: string) => {
    const out = ESCAPES[c];
    if (out === undefined)
      throw new PromptFileError(`line ${lineNumber}: unknown escape ${JSON.stringify('\\' + c)} (use \\n, \\t or \\\\)`);
    return out;
  });
}

/** The prompts of a prompt file's text. */
export function promptLines(text: string): string[] {
  const prompts: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() !== '') prompts.push(unescapePrompt(line, i + 1));
  });
  return prompts;
}
