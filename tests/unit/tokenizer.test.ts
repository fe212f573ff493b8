// The byte-level BPE tokenizer (src/model/tokenizer.ts) with the shipped, trained tokenizer file:
// lossless round trips for any Unicode text, streaming decoding that never emits a broken
// character, the boundary token, the merges, and validation of bad tokenizer files.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tokenizer, validateTokenizerJSON, type TokenizerJSON } from '../../src/model/tokenizer.ts';

const json: TokenizerJSON = JSON.parse(readFileSync(new URL('../../public/models/brown-mtp.tokenizer.json', import.meta.url), 'utf8'));
const tok = new Tokenizer(json);
const EOT = tok.endOfText;
const utf8 = new TextEncoder();

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** What a string becomes after a trip through UTF-8: each lone surrogate turns into U+FFFD. */
const wellFormed = (s: string) => s.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');

/** Decodes one id at a time, as the demo's decode loop does. */
function streamOneByOne(ids: readonly number[]): { chunks: string[]; tail: string } {
  const decoder = tok.streamDecoder();
  const chunks = ids.map((id) => decoder.push([id]));
  return { chunks, tail: decoder.flush() };
}

/**
 * For each prefix length in bytes, what a streaming decoder may have emitted by then: the longest
 * prefix of s made of whole characters whose UTF-8 fits in those bytes.
 */
function completePrefixes(s: string): (bytes: number) => string {
  const ends: number[] = []; // UTF-16 end of each character, and its UTF-8 end
  const byteEnds: number[] = [];
  let at = 0;
  let bytes = 0;
  for (const ch of s) {
    at += ch.length;
    bytes += utf8.encode(ch).length;
    ends.push(at);
    byteEnds.push(bytes);
  }
  let i = 0;
  return (n) => {
    while (i < byteEnds.length && byteEnds[i] <= n) i++; // n only grows
    return s.slice(0, i === 0 ? 0 : ends[i - 1]);
  };
}

/** Everything a valid string must satisfy: ids in range, lossless, and clean streaming. */
function checkText(s: string): void {
  const ids = tok.encode(s);
  for (const id of ids) {
    expect(Number.isInteger(id) && id >= 0 && id < tok.vocabSize - 1, `id ${id}`).toBe(true);
    expect(id).not.toBe(EOT);
  }
  expect(tok.decode(ids)).toBe(s);

  const { chunks, tail } = streamOneByOne(ids);
  expect(chunks.join('') + tail).toBe(s);
  expect(tail).toBe('');
  let emitted = '';
  let bytes = 0;
  const completePrefix = completePrefixes(s);
  ids.forEach((id, i) => {
    const chunk = chunks[i];
    if (!s.includes('\uFFFD') && chunk.includes('\uFFFD'))
      expect.fail(`chunk ${i} of ${JSON.stringify(s)} has U+FFFD: ${JSON.stringify(chunk)}`);
    if (LONE_SURROGATE.test(chunk)) expect.fail(`chunk ${i} of ${JSON.stringify(s)} has a lone surrogate`);
    emitted += chunk;
    bytes += tok.tokenBytes(id).length;
    // Every complete character is out as soon as its last byte is in, and nothing more.
    if (emitted !== completePrefix(bytes)) expect(emitted).toBe(completePrefix(bytes));
  });
}

describe('Tokenizer: round trips', () => {
  it('is the shipped file: 256 bytes + merges + the boundary token last', () => {
    expect(() => validateTokenizerJSON(json)).not.toThrow();
    expect(tok.vocabSize).toBe(256 + json.merges.length + 1);
    expect(EOT).toBe(tok.vocabSize - 1);
  });

  it('encodes the empty string to no tokens', () => {
    expect(tok.encode('')).toEqual([]);
    expect(tok.decode([])).toBe('');
    checkText('');
  });

  it.each([
    ['plain English', 'The jury said it did find that many of the state\'s laws "are outmoded."'],
    ['emoji', '😀 🎉👍 done 🚀🚀'],
    ['emoji with skin tone', '👍🏽👋🏿'],
    ['ZWJ sequences', '👨‍👩‍👧‍👦 and 🏳️‍🌈 and 👩🏽‍💻'],
    ['flags (regional indicator pairs)', '🇯🇵🇺🇸🇪🇺 🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
    ['CJK', '日本語のテキスト、中文文本。한국어 텍스트'],
    ['combining marks', 'e\u0301 a\u0300\u0301\u0302 Z\u0351\u0352\u0353 n\u0303'],
    ['precomposed vs decomposed stay distinct', '\u00e9 vs e\u0301'],
    ['RTL Hebrew and Arabic, with bidi controls', 'שלום עולם مرحبا بالعالم \u202Eevil\u202C \u200F'],
    ['Devanagari and Thai', 'नमस्ते दुनिया สวัสดีชาวโลก'],
    ['astral plane letters and math', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 𐍈'],
    ['contractions', "I'm sure they'll say it's fine, don't you think? We'd've... 'tis"],
    ['digits of many scripts', '123 ٣٤٥ ४५६ 1,000,000.50'],
    ['control characters and NUL', 'a\u0000b\u0001\u007f\u0085c'],
    ['unusual spaces', 'a\u00a0b\u2003c\u3000d\ufeffe\u200bf'],
    ['a lone U+FFFD in the input', 'bad \uFFFD char'],
    ['noncharacters and private use', '\uFDD0\uFFFE\uFFFF\uE000\u{10FFFF}'],
    ['long whitespace runs', `a${' '.repeat(1000)}b\n\n\n\t\t  \r\n${'\n'.repeat(300)}${' '.repeat(77)}`],
    ['only whitespace', '   \n\t  '],
    ["the boundary token's name is plain text", '<|endoftext|>'],
  ])('round-trips %s', (_, s) => checkText(s));

  // A leading U+FEFF is text, not a byte-order mark (found by the round-trip property).
  it('keeps a U+FEFF at the start of the text', () => {
    expect(tok.decode(tok.encode('\uFEFF'))).toBe('\uFEFF');
    expect(tok.decode(tok.encode('\uFEFFabc'))).toBe('\uFEFFabc');
    const decoder = tok.streamDecoder();
    expect(decoder.push(tok.encode('a')) + decoder.flush()).toBe('a');
    expect(decoder.push(tok.encode('\uFEFFb')) + decoder.flush()).toBe('\uFEFFb');
  });

  it('encodes a very long word quickly, in chunks, and round-trips it', () => {
    const word = 'the'.repeat(10000);
    const t0 = performance.now();
    checkText(word);
    // Unchunked BPE took 3.4 s here; generous bound, this is about not freezing a tab.
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('keeps a U+FEFF anywhere after the start', () => checkText('a\uFEFF\uFEFFb'));

  it('round-trips arbitrary grapheme strings (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), checkText), { numRuns: 300 });
  });

  it('round-trips arbitrary code point strings (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), checkText), { numRuns: 300 });
  });

  it('round-trips mixtures of the tricky pieces (property)', () => {
    const piece = fc.constantFrom(
      ' ',
      '  ',
      '\n',
      '\n\n',
      '\t',
      '\r\n',
      '\u00a0',
      'the',
      ' the',
      'The',
      ' of',
      "'s",
      "'",
      "n't",
      "'ll",
      'ing',
      'a',
      '.',
      ',',
      '...',
      '--',
      '"',
      '(',
      ')',
      '1',
      '23',
      ' 4',
      '٣',
      'é',
      'e\u0301',
      '\u0301',
      '中',
      '文',
      'ש',
      'م',
      '😀',
      '👍🏽',
      '👨‍👩‍👧',
      '🇯🇵',
      '\u200d',
      '\ufe0f',
      '\u{1F3F4}',
      '\u{E0067}',
      '\uFEFF',
      '\u0000',
    );
    fc.assert(fc.property(fc.string({ unit: piece, maxLength: 30 }), checkText), { numRuns: 500 });
  });

  it('encodes lone surrogates without throwing and decodes them to U+FFFD (property)', () => {
    // A lone surrogate is not a Unicode scalar value, so it has no UTF-8 encoding: TextEncoder
    // writes U+FFFD (EF BF BD) in its place, and the round trip gives U+FFFD back. Exact round
    // trips are only possible for well-formed strings.
    expect(tok.decode(tok.encode('a\uD800b'))).toBe('a\uFFFDb');
    expect(tok.decode(tok.encode('\uDC00\uD83D'))).toBe('\uFFFD\uFFFD');
    const codeUnit = fc
      .oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0, max: 0xffff }))
      .map((u) => String.fromCharCode(u));
    fc.assert(
      fc.property(fc.string({ unit: codeUnit, maxLength: 30 }), (s) => {
        const ids = tok.encode(s);
        expect(ids.every((id) => id >= 0 && id < EOT)).toBe(true);
        expect(tok.decode(ids)).toBe(wellFormed(s));
        const { chunks, tail } = streamOneByOne(ids);
        expect(chunks.join('') + tail).toBe(wellFormed(s));
      }),
      { numRuns: 500 },
    );
  });
});

describe('Tokenizer: streaming decoding', () => {
  it('holds back a character split across tokens until its last byte arrives', () => {
    for (const ch of ['é', '中', '😀', '𝔘']) {
      const ids = tok.encode(ch);
      expect(ids.length, `${ch} should take more than one token in this vocabulary`).toBeGreaterThan(1);
      const { chunks, tail } = streamOneByOne(ids);
      expect(chunks).toEqual([...Array(ids.length - 1).fill(''), ch]);
      expect(tail).toBe('');
    }
  });

  it('turns an unfinished character at the end of the stream into U+FFFD on flush, then starts afresh', () => {
    const [first, ...rest] = tok.encode('😀');
    expect(rest.length).toBeGreaterThan(0);
    const decoder = tok.streamDecoder();
    expect(decoder.push([first])).toBe('');
    expect(decoder.flush()).toBe('\uFFFD');
    expect(decoder.push(tok.encode(' ok'))).toBe(' ok');
    expect(decoder.flush()).toBe('');
  });

  it('pushing ids in any grouping gives the same text as a whole decode (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.array(fc.nat(5), { maxLength: 40 }), (s, sizes) => {
        const ids = tok.encode(s);
        const decoder = tok.streamDecoder();
        let out = '';
        let at = 0;
        for (const size of sizes) {
          out += decoder.push(ids.slice(at, at + size));
          at += size;
        }
        out += decoder.push(ids.slice(at)) + decoder.flush();
        expect(out).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes any id sequence (even broken UTF-8) like TextDecoder does, streamed or not (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: tok.vocabSize - 1 }), { maxLength: 30 }), (ids) => {
        const bytes = ids.flatMap((id) => Array.from(tok.tokenBytes(id)));
        // Token text is content: a leading EF BB BF is a U+FEFF character, not a byte-order mark.
        const expected = new TextDecoder('utf-8', { ignoreBOM: true }).decode(Uint8Array.from(bytes));
        expect(tok.decode(ids)).toBe(expected);
        const { chunks, tail } = streamOneByOne(ids);
        expect(chunks.join('') + tail).toBe(expected);
        for (const chunk of chunks) expect(LONE_SURROGATE.test(chunk)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('the boundary token decodes to nothing and does not disturb a character in progress', () => {
    expect(tok.tokenBytes(EOT).length).toBe(0);
    expect(tok.decode([EOT])).toBe('');
    const ids = tok.encode('😀');
    expect(tok.decode([ids[0], EOT, ...ids.slice(1)])).toBe('😀');
  });

  it('rejects ids outside the vocabulary', () => {
    for (const id of [-1, tok.vocabSize, 1.5, NaN]) expect(() => tok.tokenBytes(id)).toThrow(RangeError);
    expect(() => tok.decode([tok.vocabSize])).toThrow(/outside the vocabulary/);
  });
});

describe('Tokenizer: BPE merges', () => {
  it('encodes common English words with their leading space as one token', () => {
    for (const word of [' the', ' of', ' and', ' to', ' in', ' that', ' was', ' is', ' he', ' for', ' it', ' with', 'The'])
      expect(tok.encode(word), JSON.stringify(word)).toHaveLength(1);
  });

  it('compresses English prose well below one token per byte', () => {
    const prose =
      'The Fulton County Grand Jury said Friday an investigation of recent primary elections produced no evidence ' +
      'that any irregularities took place. The jury further said that the City Executive Committee, which had ' +
      'over-all charge of the election, deserves the praise and thanks of the city for the manner in which it was conducted.';
    const ratio = tok.encode(prose).length / utf8.encode(prose).length;
    expect(ratio).toBeLessThan(0.45);
  });

  it("each merged token's bytes are its two parts' bytes", () => {
    json.merges.forEach(([a, b], r) => {
      expect(Array.from(tok.tokenBytes(256 + r))).toEqual([...tok.tokenBytes(a), ...tok.tokenBytes(b)]);
    });
  });

  it('runs the merges to completion inside each pre-token and never across pre-tokens (property)', () => {
    const mergeable = new Set(json.merges.map(([a, b]) => `${a},${b}`));
    const pattern = new RegExp(json.pattern, 'gu');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const pieces = [...s.matchAll(pattern)].map((m) => m[0]);
        expect(pieces.join('')).toBe(s); // the pre-tokenizer covers the whole text
        const perPiece = pieces.map((p) => tok.encode(p));
        expect(tok.encode(s)).toEqual(perPiece.flat());
        for (const ids of perPiece) for (let i = 0; i + 1 < ids.length; i++) expect(mergeable.has(`${ids[i]},${ids[i + 1]}`)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('validateTokenizerJSON', () => {
  const bad = (change: Record<string, unknown>) => ({ ...json, ...change });

  it.each([
    ['not an object', null, /not a JSON object/],
    ['an array', [], /"type"/],
    ['wrong type', bad({ type: 'bpe' }), /"type" must be "byte-bpe", got "bpe"/],
    ['pattern not a string', bad({ pattern: 42 }), /"pattern" must be a string/],
    ['pattern not a regular expression', bad({ pattern: '(unclosed' }), /"pattern" is not a valid regular expression/],
    ['merges not an array', bad({ merges: {} }), /"merges" must be an array/],
    [
      'a merge referring to a later id',
      bad({
        merges: [
          [32, 116],
          [256, 258],
          [1, 2],
        ],
      }),
      /merge 1 must be a pair of earlier ids, got \[256,258\]/,
    ],
    ['a merge referring to itself', bad({ merges: [[256, 1]] }), /merge 0 must be a pair of earlier ids/],
    ['a merge that is not a pair', bad({ merges: [[1, 2, 3]] }), /merge 0 must be a pair/],
    ['a merge with a non-integer id', bad({ merges: [[1.5, 2]] }), /merge 0 must be a pair/],
    ['a merge with a negative id', bad({ merges: [[-1, 2]] }), /merge 0 must be a pair/],
    ['no special tokens', bad({ special: undefined }), /"special" must name the "<\|endoftext\|>" id/],
    ['no boundary token', bad({ special: { eos: 5 } }), /"special" must name the "<\|endoftext\|>" id/],
    ['wrong vocab_size', bad({ vocab_size: json.vocab_size + 1 }), /"vocab_size" must be 256 bytes \+ \d+ merges \+ 1 boundary token/],
    ['vocab_size missing', bad({ vocab_size: undefined }), /"vocab_size"/],
    ['boundary token not last', bad({ special: { '<|endoftext|>': 0 } }), /invalid tokenizer file/],
  ])('rejects %s', (_, value, message) => {
    expect(() => validateTokenizerJSON(value)).toThrow(message);
    expect(() => new Tokenizer(value as TokenizerJSON)).toThrow(message);
  });

  it('accepts a minimal file with no merges', () => {
    const minimal = { type: 'byte-bpe', pattern: json.pattern, merges: [], special: { '<|endoftext|>': 256 }, vocab_size: 257 };
    expect(() => validateTokenizerJSON(minimal)).not.toThrow();
    const t = new Tokenizer(minimal as TokenizerJSON);
    expect(t.encode('hé')).toEqual([104, 0xc3, 0xa9]);
  });
});
