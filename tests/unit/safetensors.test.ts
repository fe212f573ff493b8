// The safetensors reader (src/model/safetensors.ts) on good files: tensors, shapes and metadata
// round-trip, F16 and BF16 convert exactly, data is viewed in place when aligned. Malformed files are
// tests/unit/safetensors-malformed.test.ts; the model-weights loader is tests/unit/weights.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { halfToFloat, parseSafetensors } from '../../src/model/safetensors.ts';
import { f32Bytes, rawSafetensors, u16Bytes, writeSafetensors, type TensorToWrite } from '../helpers/safetensors-writer.ts';

describe('parseSafetensors: good files', () => {
  it('round-trips F32 tensors, their shapes and the metadata', () => {
    const a = Float32Array.from([1.5, -2, 0, 3.25, -0, 1e-30]);
    const b = Float32Array.from([42]);
    const file = parseSafetensors(
      writeSafetensors(
        { a: { shape: [2, 3], data: a }, scalar: { shape: [], data: b }, empty: { shape: [0, 4], data: new Float32Array(0) } },
        { metadata: { format: 'pt', note: 'héllo ✓' } },
      ),
    );
    expect(file.metadata).toEqual({ format: 'pt', note: 'héllo ✓' });
    expect([...file.tensors.keys()]).toEqual(['a', 'scalar', 'empty']);
    expect(file.tensors.get('a')).toEqual({ dtype: 'F32', shape: [2, 3], data: a });
    expect(Object.is(file.tensors.get('a')!.data[4], -0)).toBe(true);
    expect(file.tensors.get('scalar')!.shape).toEqual([]);
    expect(Array.from(file.tensors.get('scalar')!.data)).toEqual([42]);
    expect(file.tensors.get('empty')!.data.length).toBe(0);
  });

  it('has empty metadata when the header has no "__metadata__"', () => {
    expect(parseSafetensors(writeSafetensors({ x: { shape: [1], data: Float32Array.of(1) } })).metadata).toEqual({});
  });

  it('views aligned F32 data in place and copies unaligned data', () => {
    const values = Float32Array.from([1, 2, 3, 4]);
    for (let mod = 0; mod < 8; mod++) {
      const buffer = writeSafetensors({ x: { shape: [4], data: values } }, { dataStartMod8: mod });
      const data = parseSafetensors(buffer).tensors.get('x')!.data;
      expect(Array.from(data)).toEqual([1, 2, 3, 4]);
      expect(data.byteOffset % 4).toBe(0);
      expect(data.buffer === buffer).toBe(mod % 4 === 0);
    }
  });

  it('converts F16 to float32 exactly, including subnormals, infinities and NaN', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14], // smallest normal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x7e00, NaN],
    ];
    const file = parseSafetensors(
      writeSafetensors({ h: { dtype: 'F16', shape: [cases.length], data: u16Bytes(cases.map(([bits]) => bits)) } }),
    );
    const h = file.tensors.get('h')!;
    expect(h.dtype).toBe('F16');
    cases.forEach(([, value], i) => expect(Object.is(h.data[i], value), `F16 case ${i}`).toBe(true));
  });

  it('F16 conversion matches a float32 rounding of every half value', () => {
    // Every binary16 value is exactly representable in binary32, so the conversion is exact:
    // re-rounding to float32 must not change it.
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = halfToFloat(bits);
      const ok = Number.isNaN(v) ? (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0 : Math.fround(v) === v;
      if (!ok) expect.fail(`half 0x${bits.toString(16)} -> ${v}`);
    }
  });

  it('converts BF16 to float32 (the top 16 bits of a float32)', () => {
    const values = [1, -3, 3.140625, 0, -0, Infinity, 2 ** -130];
    const bits = values.map((v) => new Uint32Array(Float32Array.of(v).buffer)[0] >>> 16);
    const file = parseSafetensors(writeSafetensors({ b: { dtype: 'BF16', shape: [values.length], data: u16Bytes(bits) } }));
    const b = file.tensors.get('b')!;
    expect(b.dtype).toBe('BF16');
    values.forEach((v, i) => expect(Object.is(b.data[i], Math.fround(v)), `BF16 case ${i}`).toBe(true));
  });

  it('allows gaps between tensors and empty tensors anywhere', () => {
    const data = f32Bytes([1, 2, 99, 3, 4]);
    const file = parseSafetensors(
      rawSafetensors(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
          empty: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
        },
        data,
      ),
    );
    expect(Array.from(file.tensors.get('a')!.data)).toEqual([1, 2]);
    expect(Array.from(file.tensors.get('b')!.data)).toEqual([3, 4]);
    expect(file.tensors.get('empty')!.data.length).toBe(0);
  });

  it('round-trips random F32 tensors at any alignment (property)', () => {
    const tensorArb = fc
      .array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })
      .chain((shape) =>
        fc
          .array(fc.float(), { minLength: shape.reduce((p, n) => p * n, 1), maxLength: shape.reduce((p, n) => p * n, 1) })
          .map((values) => ({ shape, values })),
      );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), tensorArb, { maxKeys: 5 }),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 10 }), { maxKeys: 3 }),
        fc.integer({ min: 0, max: 7 }),
        (tensors, metadata, mod) => {
          const names = Object.keys(tensors).filter((n) => n !== '__metadata__');
          const toWrite: Record<string, TensorToWrite> = {};
          for (const n of names) toWrite[n] = { shape: tensors[n].shape, data: Float32Array.from(tensors[n].values) };
          const file = parseSafetensors(writeSafetensors(toWrite, { metadata, dataStartMod8: mod }));
          expect(file.metadata).toEqual({ ...metadata });
          expect(new Set(file.tensors.keys())).toEqual(new Set(names));
          for (const n of names) {
            const t = file.tensors.get(n)!;
            expect(t.shape).toEqual(tensors[n].shape);
            expect(t.data.length).toBe(tensors[n].values.length);
            tensors[n].values.forEach((v, i) => expect(Object.is(t.data[i], v)).toBe(true));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
