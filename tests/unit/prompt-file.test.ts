import { describe, expect, it } from 'vitest';
import { MODELS } from '../../src/model/catalogue.ts';
import { PromptFileError, promptLines, unescapePrompt } from '../../src/model/prompt-file.ts';

describe('prompt files', () => {
  it('one prompt a line, blank lines skipped, indentation and CRLF handled', () => {
    expect(promptLines('first\r\n\n   \n    indented line\nlast')).toEqual(['first', '    indented line', 'last']);
  });

  it('\\n, \\t and \\\\ stand for a newline, a tab and a backslash', () => {
    expect(unescapePrompt('def f():\\n\\treturn "a\\\\n"')).toBe('def f():\n\treturn "a\\n"');
  });

  it('any other escape is an error naming the line', () => {
    expect(() => promptLines('ok\nbad \\x41')).toThrow(PromptFileError);
    expect(() => promptLines('ok\nbad \\x41')).toThrow(/line 2: unknown escape "\\\\x"/);
    expect(() => unescapePrompt('trailing \\')).toThrow(/unknown escape/);
  });

  it('every shipped model has prompts, and the code prompts span lines', () => {
    for (const m of MODELS) expect(promptLines(m.benchPrompts).length, m.name).toBeGreaterThanOrEqual(6);
    const code = MODELS.filter((m) => m.domain === 'code');
    expect(code.length).toBeGreaterThan(0);
    for (const m of code)
      expect(
        promptLines(m.benchPrompts).every((p) => p.includes('\n')),
        m.name,
      ).toBe(true);
  });
});
