// The round-trip property of the byte-level BPE tokenizer (src/model/tokenizer.ts), on each of the
// three shipped tokenizer files (public/models/*.tokenizer.json, one per catalogue model):
// decode(encode(s)) === s for 10,000 seeded random strings each (ASCII, code with indentation,
// tabs and newlines, multi-byte UTF-8: CJK, emoji, combining marks, RTL, zero-width joiners), and
// the streaming decoder, fed one token at a time, gives the same text. Lone surrogates have no
// UTF-8 encoding: TextEncoder writes U+FFFD for each, so they come back as U+FFFD (the documented
// behaviour, asserted instead of equality). The boundary token is never produced from text (its
// name is plain text) and decodes to nothing, so documents joined by it decode to their
// concatenation. Fixed seeds and run counts: a failure prints the seed and path to replay it.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../../src/model/catalogue.ts';
import { Tokenizer, type TokenizerJSON } from '../../src/model/tokenizer.ts';

const MODELS_DIR = new URL('../../public/models/', import.meta.url);
const SHIPPED = readdirSync(MODELS_DIR)
  .filter((f) => f.endsWith('.tokenizer.json'))
  .map((f) => f.slice(0, -'.tokenizer.json'.length))
  .sort();

function load(name: string): Tokenizer {
  return new Tokenizer(JSON.parse(readFileSync(new URL(`${name}.tokenizer.json`, MODELS_DIR), 'utf8')) as TokenizerJSON);
}

/** Strings per tokenizer for the main property (the brief: at least 10,000). */
const RUNS = 10_000;
const LONE_SURROGATE_RUNS = 2_000;
const EOT_NAME = '<|endoftext|>';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** What a string becomes after a trip through UTF-8 (String.prototype.toWellFormed, ES2024). */
const wellFormed = (s: string) => s.replace(LONE_SURROGATE, '\uFFFD');

// --- The strings ---------------------------------------------------------------------------------

const ascii = fc.string({ unit: 'binary-ascii', maxLength: 60 }); // U+0000..U+00FF, controls included
const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 60 });

/** Python-ish lines: indentation of spaces or tabs, code tokens, and every newline style. */
const codeToken = fc.constantFrom(
  'def',
  'class',
  'return',
  'self',
  'self.items',
  'import',
  'os',
  'for',
  'in',
  'if',
  'else:',
  'elif',
  'None',
  'True',
  '(',
  ')',
  '[]',
  '{}',
  ':',
  ',',
  '.',
  '=',
  '==',
  '+=',
  '->',
  '**kwargs',
  '*args',
  '#',
  '# a comment',
  '"""Doc."""',
  "'s'",
  '"x"',
  'f"{x!r}"',
  '0',
  '42',
  '3.14',
  '0x1F',
  '1_000',
  'print',
  '__init__',
  'lambda',
  '\\',
  '@decorator',
);
const indent = fc.oneof(
  fc.nat(4).map((n) => '    '.repeat(n)),
  fc.nat(3).map((n) => '\t'.repeat(n)),
  fc.nat(9).map((n) => ' '.repeat(n)),
  fc.constantFrom('\t    ', '  \t', ''),
);
const newline = fc.constantFrom('\n', '\n', '\r\n', '\r', '\n\n', ' \n', '\t\n', '\n\n\n');
const codeLine = fc
  .tuple(indent, fc.array(fc.tuple(codeToken, fc.constantFrom(' ', '', '  ', '\t')), { maxLength: 8 }), newline)
  .map(([pad, tokens, end]) => pad + tokens.map(([t, gap]) => t + gap).join('') + end);
const code = fc.array(codeLine, { maxLength: 8 }).map((lines) => lines.join(''));

/** Multi-byte UTF-8 pieces: 2, 3 and 4 bytes, and the joiners and marks that glue them. */
const multibyte = fc.constantFrom(
  // CJK, kana, hangul, fullwidth punctuation
  '日本語',
  'のテキスト',
  '中文文本。',
  '한국어',
  '、',
  '（全角）',
  '\u3000',
  // emoji, skin tones, ZWJ sequences, flags, keycaps, tags
  '😀',
  '🎉',
  '👍🏽',
  '👨‍👩‍👧‍👦',
  '👩🏽‍💻',
  '🏳️‍🌈',
  '🇯🇵',
  '🇺🇸',
  '1️⃣',
  '🏴󠁧󠁢󠁳󠁣󠁴󠁿',
  // combining marks (alone, stacked, after a letter), precomposed vs decomposed
  '\u0301',
  'e\u0301',
  'a\u0300\u0301\u0302',
  'Z\u0351\u0352\u0353',
  '\u00e9',
  'n\u0303',
  // RTL scripts and bidi controls
  'שלום',
  'עולם',
  'مرحبا',
  'بالعالم',
  '\u202E',
  '\u202C',
  '\u200F',
  '\u200E',
  '\u2067',
  '\u2069',
  // zero-width joiner / non-joiner / space, word joiner, BOM, variation selectors
  '\u200D',
  '\u200C',
  '\u200B',
  '\u2060',
  '\uFEFF',
  '\uFE0F',
  '\uFE0E',
  // other scripts, astral letters and digits, math, private use, noncharacters, U+FFFD itself
  'नमस्ते',
  'สวัสดี',
  '𝔘𝔫𝔦',
  '𝟙𝟚',
  '𐍈',
  '٣٤٥',
  '\uE000',
  '\u{10FFFF}',
  '\uFFFF',
  '\uFFFD',
  // Latin-1 and other two-byte characters, unusual spaces
  'ß',
  'ø',
  'Ω',
  'Ж',
  '\u00A0',
  '\u2003',
  '\u0085',
);
const glue = fc.constantFrom(' ', '', '', '\n', '\t', '.', ',', 'a', 'the', "'s", '1');
const multibyteText = fc.array(fc.tuple(multibyte, glue), { maxLength: 12 }).map((xs) => xs.map(([a, b]) => a + b).join(''));

/** Any code points (well-formed), and any grapheme clusters. */
const anyCodePoints = fc.string({ unit: 'binary', maxLength: 30 });
const anyGraphemes = fc.string({ unit: 'grapheme', maxLength: 20 });

/** Text that spells the boundary token's name (it must stay plain text). */
const withBoundaryName = fc
  .tuple(printable, fc.constantFrom(EOT_NAME, ` ${EOT_NAME}`, `${EOT_NAME}\n`, '<|endoftext', '|>', '<|'), printable)
  .map(([a, b, c]) => a + b + c);

/** Everything, and mixtures of it. */
const kinds = [ascii, printable, code, multibyteText, anyCodePoints, anyGraphemes, withBoundaryName];
const text = fc.oneof(
  ...kinds,
  fc.array(fc.oneof(...kinds), { minLength: 2, maxLength: 4 }).map((xs) => xs.join('')),
);

// --- The checks ----------------------------------------------------------------------------------

/** The streaming decoder fed one id at a time, as the demo's decode loop does. */
function streamOneByOne(tok: Tokenizer, ids: readonly number[]): { chunks: string[]; tail: string } {
  const decoder = tok.streamDecoder();
  const chunks = ids.map((id) => decoder.push([id]));
  return { chunks, tail: decoder.flush() };
}

function checkRoundTrip(tok: Tokenizer, s: string): void {
  const ids = tok.encode(s);
  for (const id of ids) if (!(Number.isInteger(id) && id >= 0 && id < tok.endOfText)) expect.fail(`id ${id} from ${JSON.stringify(s)}`);
  expect(tok.decode(ids)).toBe(s);
  const { chunks, tail } = streamOneByOne(tok, ids);
  expect(chunks.join('')).toBe(s);
  expect(tail).toBe(''); // nothing held back at the end of well-formed text
  for (const chunk of chunks) {
    // A chunk is whole characters: no half of a surrogate pair, no U+FFFD for a split character.
    LONE_SURROGATE.lastIndex = 0;
    if (LONE_SURROGATE.test(chunk)) expect.fail(`a chunk of ${JSON.stringify(s)} has a lone surrogate`);
    if (chunk.includes('\uFFFD') && !s.includes('\uFFFD')) expect.fail(`a chunk of ${JSON.stringify(s)} has U+FFFD`);
  }
}

it("the shipped tokenizers are the catalogue models' (all three are tested)", () => {
  expect(SHIPPED).toEqual(MODELS.map((m) => m.name).sort());
  expect(SHIPPED).toHaveLength(3);
});

describe.each(SHIPPED.map((name, i) => ({ name, seed: 20_261_201 + i })))('$name tokenizer', ({ name, seed }) => {
  const tok = load(name);

  it(`round-trips ${RUNS} random strings, whole and streamed one token at a time (seed ${seed})`, () => {
    fc.assert(
      fc.property(text, (s) => checkRoundTrip(tok, s)),
      { seed, numRuns: RUNS },
    );
  });

  it(`turns each lone surrogate into U+FFFD, whole and streamed (seed ${seed + 100})`, () => {
    const codeUnit = fc
      .oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0x20, 0x61, 0x0a))
      .map((u) => String.fromCharCode(u));
    const withSurrogates = fc.oneof(
      fc.string({ unit: codeUnit, maxLength: 30 }),
      fc.tuple(text, fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uDC00\uD83D', '\uD83D'), text).map(([a, b, c]) => a + b + c),
    );
    fc.assert(
      fc.property(withSurrogates, (s) => {
        const ids = tok.encode(s);
        // TextEncoder's replacement happens before the merges: the ids are those of the repaired text.
        expect(ids).toEqual(tok.encode(wellFormed(s)));
        expect(tok.decode(ids)).toBe(wellFormed(s));
        const { chunks, tail } = streamOneByOne(tok, ids);
        expect(chunks.join('') + tail).toBe(wellFormed(s));
      }),
      { seed: seed + 100, numRuns: LONE_SURROGATE_RUNS },
    );
    expect(tok.decode(tok.encode('a\uD800b'))).toBe('a\uFFFDb');
  });

  it(`documents joined by the boundary token decode to their concatenation (seed ${seed + 200})`, () => {
    expect(tok.encode(EOT_NAME)).not.toContain(tok.endOfText);
    expect(tok.decode([tok.endOfText])).toBe('');
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), (docs) => {
        const ids = docs.flatMap((d) => [...tok.encode(d), tok.endOfText]);
        expect(tok.decode(ids)).toBe(docs.join(''));
        const { chunks, tail } = streamOneByOne(tok, ids);
        expect(chunks.join('') + tail).toBe(docs.join(''));
      }),
      { seed: seed + 200, numRuns: 500 },
    );
  });
});
