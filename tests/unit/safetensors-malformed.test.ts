// The safetensors reader (src/model/safetensors.ts) on malformed files: every one fails with a
// WeightsFormatError that names the tensor or field at fault, whatever the corruption.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, parseSafetensors, WeightsFormatError } from '../../src/model/safetensors.ts';
import { loadWeights } from '../../src/model/weights.ts';
import { formatError } from '../helpers/format-error.ts';
import { f32Bytes, rawSafetensors, u16Bytes, writeSafetensors } from '../helpers/safetensors-writer.ts';

const parseError = (buffer: ArrayBuffer) => formatError(() => parseSafetensors(buffer)).message;

/** A file with one good F32 tensor "w" of shape [2, 3] plus whatever the test adds to the header. */
function withEntry(extra: Record<string, unknown>, data = f32Bytes([1, 2, 3, 4, 5, 6])): ArrayBuffer {
  return rawSafetensors({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] }, ...extra }, data);
}

describe('parseSafetensors: malformed files', () => {
  it('rejects a file shorter than the 8-byte length field', () => {
    for (const n of [0, 1, 7]) expect(parseError(new ArrayBuffer(n))).toMatch(/shorter than the 8-byte/);
  });

  it('rejects a header length above the bound', () => {
    expect(parseError(rawSafetensors({}, undefined, { headerLength: 2n ** 64n - 1n }))).toMatch(/above the .* limit/);
    expect(parseError(rawSafetensors({}, undefined, { headerLength: BigInt(MAX_HEADER_BYTES + 1) }))).toMatch(/above the .* limit/);
  });

  it('rejects a header length beyond the end of the file', () => {
    expect(parseError(rawSafetensors({}, undefined, { headerLength: 3n }))).toMatch(
      /header length 3 goes past the end of the 10-byte file/,
    );
    expect(parseError(rawSafetensors({}, undefined, { headerLength: 1000n }))).toMatch(/header length 1000 goes past the end/);
  });

  it('rejects a header that is not UTF-8', () => {
    expect(parseError(rawSafetensors(Uint8Array.of(0x7b, 0xff, 0x7d)))).toMatch(/not valid UTF-8/);
    expect(parseError(rawSafetensors(Uint8Array.of(0x7b, 0xed, 0xa0, 0x80, 0x7d)))).toMatch(/not valid UTF-8/); // a surrogate
  });

  it('rejects a header that is not JSON, or not a JSON object', () => {
    expect(parseError(rawSafetensors('{"a": '))).toMatch(/not valid JSON/);
    expect(parseError(rawSafetensors(''))).toMatch(/not valid JSON/);
    for (const text of ['[]', '42', 'null', '"x"', 'true']) expect(parseError(rawSafetensors(text))).toMatch(/not a JSON object/);
  });

  it('rejects bad "__metadata__"', () => {
    expect(parseError(withEntry({ __metadata__: ['a'] }))).toMatch(/"__metadata__" must be an object/);
    expect(parseError(withEntry({ __metadata__: { config: { d: 1 } } }))).toMatch(/"__metadata__"."config" must be a string/);
  });

  it('rejects an entry that is not an object', () => {
    expect(parseError(withEntry({ bad: [1, 2] }))).toMatch(/tensor "bad": entry is not an object/);
    expect(parseError(withEntry({ bad: null }))).toMatch(/tensor "bad": entry is not an object/);
  });

  it('rejects an unknown or unreadable dtype, naming the tensor', () => {
    const entry = (dtype: unknown) => ({ bad: { dtype, shape: [1], data_offsets: [24, 28] } });
    const data = f32Bytes([1, 2, 3, 4, 5, 6, 7]);
    expect(parseError(withEntry(entry('Q4'), data))).toMatch(/tensor "bad": unknown "dtype" "Q4"/);
    expect(parseError(withEntry(entry('f32'), data))).toMatch(/tensor "bad": unknown "dtype" "f32"/);
    expect(parseError(withEntry(entry(4), data))).toMatch(/tensor "bad": unknown "dtype" 4/);
    expect(parseError(withEntry(entry('toString'), data))).toMatch(/tensor "bad": unknown "dtype" "toString"/);
    expect(parseError(withEntry({ bad: { shape: [1], data_offsets: [24, 28] } }, data))).toMatch(/tensor "bad": unknown "dtype"/);
    expect(parseError(withEntry(entry('I32'), data))).toMatch(/tensor "bad": "dtype" I32 cannot be read as float32/);
  });

  it('rejects a shape that is not a list of non-negative integers, naming the tensor', () => {
    const data = f32Bytes([1, 2, 3, 4, 5, 6, 7]);
    for (const shape of ['1', [-1], [1.5], ['1'], [null], [2 ** 60], { 0: 1 }, null])
      expect(parseError(withEntry({ bad: { dtype: 'F32', shape, data_offsets: [24, 28] } }, data))).toMatch(
        /tensor "bad": "shape" must be a list of non-negative integers/,
      );
  });

  it('rejects data_offsets that are not two integers with begin <= end, naming the tensor', () => {
    const data = f32Bytes([1, 2, 3, 4, 5, 6, 7]);
    for (const offsets of [[24], [24, 28, 32], [24.5, 28], [-4, 0], ['24', '28'], [28, 24], null, '24,28'])
      expect(parseError(withEntry({ bad: { dtype: 'F32', shape: [1], data_offsets: offsets } }, data))).toMatch(
        /tensor "bad": "data_offsets" must be two non-negative integers/,
      );
  });

  it('rejects offsets outside the data section, naming the tensor', () => {
    expect(parseError(withEntry({ bad: { dtype: 'F32', shape: [1], data_offsets: [24, 28] } }))).toMatch(
      /tensor "bad": "data_offsets" \[24, 28\] go past the end of the 24-byte data section/,
    );
    expect(parseError(withEntry({ bad: { dtype: 'F32', shape: [0], data_offsets: [1000, 1000] } }))).toMatch(
      /tensor "bad": .*go past the end/,
    );
  });

  it('rejects a byte length that does not match the shape and dtype, naming the tensor', () => {
    const data = f32Bytes([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseError(withEntry({ bad: { dtype: 'F32', shape: [3], data_offsets: [24, 32] } }, data))).toMatch(
      /tensor "bad": .*span 8 bytes, but F32 of shape \[3\] needs 12/,
    );
    expect(parseError(withEntry({ bad: { dtype: 'F16', shape: [2, 3], data_offsets: [24, 32] } }, data))).toMatch(
      /tensor "bad": .*needs 12/,
    );
    expect(parseError(withEntry({ bad: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [24, 32] } }, data))).toMatch(
      /tensor "bad": .*span 8 bytes/,
    );
  });

  it('rejects overlapping tensors, naming both', () => {
    const data = f32Bytes([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseError(withEntry({ bad: { dtype: 'F32', shape: [2], data_offsets: [20, 28] } }, data))).toMatch(
      /tensor "bad" \(bytes 20..28\) overlaps tensor "w" \(bytes 0..24\)/,
    );
    // Same range twice, and one range inside another.
    expect(parseError(withEntry({ twin: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } }, data))).toMatch(
      /"twin".*overlaps.*"w"|"w".*overlaps.*"twin"/,
    );
    expect(parseError(withEntry({ inner: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, data))).toMatch(/"inner".*overlaps.*"w"/);
  });

  it('rejects every truncation of a valid file', () => {
    const whole = writeSafetensors(
      { a: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) }, b: { shape: [3], data: Float32Array.of(5, 6, 7) } },
      { metadata: { config: '{}' } },
    );
    expect(() => parseSafetensors(whole)).not.toThrow();
    for (let n = 0; n < whole.byteLength; n++) {
      const message = parseError(whole.slice(0, n));
      if (n >= whole.byteLength - 12) expect(message).toMatch(/tensor "b": .*go past the end.*truncated/);
    }
  });

  it('never fails with anything but a WeightsFormatError on corrupted bytes (property)', () => {
    const whole = new Uint8Array(
      writeSafetensors(
        {
          a: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
          h: { dtype: 'F16', shape: [3], data: u16Bytes([0x3c00, 0x4000, 0x4200]) },
        },
        { metadata: { config: '{"x": 1}' } },
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(whole.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(whole.length),
        (edits, keep) => {
          const bytes = whole.slice(0, keep);
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          try {
            parseSafetensors(bytes.buffer);
            loadWeights(bytes.buffer);
          } catch (e) {
            expect(e).toBeInstanceOf(WeightsFormatError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
