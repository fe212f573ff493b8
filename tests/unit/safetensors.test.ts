// The safetensors reader (src/model/safetensors.ts) and the model-weights loader
// (src/model/weights.ts): good files round-trip, and every malformed file fails with a
// WeightsFormatError that names the tensor or field at fault.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedTensors, type ModelConfig } from '../../src/model/config.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import type { Weights } from '../../src/model/weights.ts';
import { halfToFloat, MAX_HEADER_BYTES, parseSafetensors, WeightsFormatError } from '../../src/model/safetensors.ts';
import { loadWeights } from '../../src/model/weights.ts';
import { f32Bytes, rawSafetensors, u16Bytes, writeSafetensors, type TensorToWrite } from '../helpers/safetensors-writer.ts';

/** Runs fn and returns the WeightsFormatError it throws (failing the test if it throws anything else). */
function formatError(fn: () => unknown): WeightsFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsFormatError);
    return e as WeightsFormatError;
  }
  throw new Error('expected a WeightsFormatError, but nothing was thrown');
}

const parseError = (buffer: ArrayBuffer) => formatError(() => parseSafetensors(buffer)).message;

/** A file with one good F32 tensor "w" of shape [2, 3] plus whatever the test adds to the header. */
function withEntry(extra: Record<string, unknown>, data = f32Bytes([1, 2, 3, 4, 5, 6])): ArrayBuffer {
  return rawSafetensors({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] }, ...extra }, data);
}

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

// ---- the model loader ----

const TINY: ModelConfig = {
  vocab_size: 16,
  d_model: 8,
  n_layers: 1,
  n_heads: 2,
  ffn_hidden: 16,
  max_seq_len: 8,
  mtp_depth: 2,
  mtp_layers: 2,
  mtp_ffn_hidden: 24,
  rope_theta: 10000,
  norm_eps: 1e-5,
};

/** Deterministic small values, different for every tensor. */
function valuesFor(name: string, count: number): Float32Array {
  let seed = 0;
  for (const ch of name) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed + i * 0.7) * 0.1);
}

interface ModelFileOptions {
  config?: unknown;
  /** Tensor shapes to write (defaults to expectedTensors(TINY)); null leaves a tensor out. */
  shapes?: Record<string, number[] | null>;
  poison?: { name: string; index: number; value: number };
  dtype?: 'F32' | 'F16';
  metadata?: Record<string, string> | null;
}

function modelFile(options: ModelFileOptions = {}): ArrayBuffer {
  const shapes = new Map(expectedTensors(TINY));
  for (const [name, shape] of Object.entries(options.shapes ?? {})) {
    if (shape === null) shapes.delete(name);
    else shapes.set(name, shape);
  }
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, shape] of shapes) {
    const values = valuesFor(
      name,
      shape.reduce((p, n) => p * n, 1),
    );
    if (options.poison?.name === name) values[options.poison.index] = options.poison.value;
    tensors[name] =
      options.dtype === 'F16' ? { dtype: 'F16', shape, data: u16Bytes(Array.from(values, floatToHalfTruncated)) } : { shape, data: values };
  }
  const metadata =
    options.metadata === null ? undefined : { format: 'pt', config: JSON.stringify(options.config ?? TINY), ...(options.metadata ?? {}) };
  return writeSafetensors(tensors, { metadata });
}

/** float32 -> binary16 by truncating the mantissa (fine for test values well inside the normal range). */
function floatToHalfTruncated(v: number): number {
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a < 2 ** -14) return sign; // flush subnormals to zero
  const e = Math.floor(Math.log2(a));
  const mantissa = Math.floor((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | mantissa;
}

const loadError = (buffer: ArrayBuffer) => formatError(() => loadWeights(buffer)).message;

describe('loadWeights', () => {
  it('loads a model-shaped file for a tiny config', () => {
    const w = loadWeights(modelFile());
    expect(w.config).toEqual(TINY);
    expect(w.metadata.format).toBe('pt');
    const expected = expectedTensors(TINY);
    expect(new Set(w.tensors.keys())).toEqual(new Set(expected.keys()));
    for (const [name, shape] of expected) {
      expect(w.tensors.get(name)!.shape).toEqual(shape);
      expect(w.tensor(name)).toEqual(
        valuesFor(
          name,
          shape.reduce((p, n) => p * n, 1),
        ),
      );
    }
    expect(() => w.tensor('no.such.weight')).toThrow(/no tensor named "no.such.weight"/);
  });

  it('satisfies the Weights interface: the CPU reference model runs on it', () => {
    const weights: Weights = loadWeights(modelFile());
    const model = new ReferenceModel(weights);
    const cache = model.newCache();
    const out = model.main(cache, 3, 0);
    expect(out.logits.length).toBe(TINY.vocab_size);
    expect(out.logits.every(Number.isFinite)).toBe(true);
    const draft = model.mtp(1, cache, out.hidden, 5, 0); // modules are numbered from 1
    expect(draft.logits.length).toBe(TINY.vocab_size);
  });

  it('loads F16 weights as float32', () => {
    const w = loadWeights(modelFile({ dtype: 'F16' }));
    const exact = valuesFor('norm.weight', TINY.d_model);
    const got = w.tensor('norm.weight');
    exact.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -10 + 2 ** -14));
  });

  it('rejects a file with no config in its metadata', () => {
    expect(loadError(modelFile({ metadata: null }))).toMatch(/no "config" entry/);
    const noConfig = parseSafetensors(modelFile()); // same tensors, metadata without "config"
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, t] of noConfig.tensors) tensors[name] = { shape: t.shape, data: t.data };
    expect(loadError(writeSafetensors(tensors, { metadata: { format: 'pt' } }))).toMatch(/no "config" entry/);
  });

  it('rejects a config that is not JSON or not a valid config, naming the field', () => {
    expect(loadError(writeSafetensors({}, { metadata: { config: '{"vocab_size": ' } }))).toMatch(/"config" is not valid JSON/);
    expect(loadError(modelFile({ config: { ...TINY, n_heads: 0 } }))).toMatch(/"n_heads" must be an integer in 1\.\.256, got 0/);
    expect(loadError(modelFile({ config: { ...TINY, norm_eps: undefined } }))).toMatch(/"norm_eps"/);
    expect(loadError(modelFile({ config: { ...TINY, mtp_layers: undefined } }))).toMatch(
      /"mtp_layers" must be an integer in 1\.\.16, got undefined/,
    );
    expect(loadError(modelFile({ config: [1, 2] }))).toMatch(/config/);
  });

  it('rejects a config outside sane bounds before sizing anything from it, naming the field', () => {
    // A context of 1e9 positions once reached the engine as "Invalid typed array length".
    expect(loadError(modelFile({ config: { ...TINY, max_seq_len: 1e9 } }))).toMatch(
      /"max_seq_len" must be an integer in 4\.\.8192, got 1000000000/,
    );
    // Two positions cannot hold a prompt and a draft (eval printed NaN for it).
    expect(loadError(modelFile({ config: { ...TINY, max_seq_len: 2 } }))).toMatch(/"max_seq_len" must be an integer in 4\.\./);
    expect(loadError(modelFile({ config: { ...TINY, max_seq_len: 4, mtp_depth: 3 } }))).toMatch(
      /"max_seq_len" \(4\) must hold a token and "mtp_depth" \(3\) drafts/,
    );
    expect(loadError(modelFile({ config: { ...TINY, d_model: 1e6 } }))).toMatch(/"d_model" must be an integer in 2\.\.4096/);
    expect(loadError(modelFile({ config: { ...TINY, mtp_depth: 99 } }))).toMatch(/"mtp_depth" must be an integer in 0\.\.8/);
    expect(loadError(modelFile({ config: { ...TINY, n_heads: 3 } }))).toMatch(/"d_model" \(8\) must split into "n_heads" \(3\)/);
    expect(loadError(modelFile({ config: { ...TINY, rope_theta: Infinity } }))).toMatch(/"rope_theta" must be a positive finite number/);
  });

  it('rejects a missing tensor, naming it', () => {
    expect(loadError(modelFile({ shapes: { 'mtp.1.blocks.1.ffn.w2.weight': null } }))).toMatch(
      /missing tensor "mtp\.1\.blocks\.1\.ffn\.w2\.weight"/,
    );
    expect(loadError(modelFile({ shapes: { 'tok_emb.weight': null, 'norm.weight': null } }))).toMatch(
      /missing tensors "tok_emb\.weight", "norm\.weight"/,
    );
  });

  it('rejects a misshapen tensor, naming it with the expected and actual shapes', () => {
    expect(loadError(modelFile({ shapes: { 'layers.0.attn.wq.weight': [8, 4] } }))).toMatch(
      /tensor "layers\.0\.attn\.wq\.weight" has shape \[8,4\], expected \[8,8\]/,
    );
    // Same element count, transposed: still wrong.
    expect(loadError(modelFile({ shapes: { 'mtp.0.proj.weight': [16, 8] } }))).toMatch(
      /tensor "mtp\.0\.proj\.weight" has shape \[16,8\], expected \[8,16\]/,
    );
    // The MTP blocks have their own FFN width (mtp_ffn_hidden 24, not ffn_hidden 16).
    expect(loadError(modelFile({ shapes: { 'mtp.0.blocks.1.ffn.w1.weight': [16, 8] } }))).toMatch(
      /tensor "mtp\.0\.blocks\.1\.ffn\.w1\.weight" has shape \[16,8\], expected \[24,8\]/,
    );
    expect(loadError(modelFile({ shapes: { 'norm.weight': [1, 8] } }))).toMatch(/tensor "norm\.weight" has shape \[1,8\], expected \[8\]/);
  });

  it('rejects an unexpected extra tensor, naming it', () => {
    expect(loadError(modelFile({ shapes: { 'lm_head.weight': [16, 8] } }))).toMatch(/unexpected tensor "lm_head\.weight"/);
    // A third MTP module that the config (mtp_depth 2) does not have.
    expect(loadError(modelFile({ shapes: { 'mtp.2.norm.weight': [8] } }))).toMatch(/unexpected tensor "mtp\.2\.norm\.weight"/);
  });

  it('rejects a non-finite value, naming the tensor', () => {
    for (const value of [NaN, Infinity, -Infinity])
      expect(loadError(modelFile({ poison: { name: 'layers.0.ffn.w1.weight', index: 77, value } }))).toMatch(
        new RegExp(`tensor "layers\\.0\\.ffn\\.w1\\.weight" has a non-finite value \\(${value}\\) at index 77`),
      );
  });

  it('rejects a truncated model file with a clear error', () => {
    const whole = modelFile();
    for (const keep of [0, 5, 100, whole.byteLength - 1]) {
      const message = loadError(whole.slice(0, keep));
      expect(message).toMatch(/shorter than|past the end/);
    }
  });
});
