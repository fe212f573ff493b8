// A safetensors reader for an ArrayBuffer (no file system: the same code runs in the page and in Node).
//
// Layout: an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON, then the raw
// little-endian tensor data. The header maps tensor names to {dtype, shape, data_offsets}, with
// offsets relative to the first byte after the header, plus an optional "__metadata__" object of
// string to string. Everything in the header is checked before any byte of data is trusted.

/** A file that is not a well-formed safetensors file, or not the model we expect. */
export class WeightsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsFormatError';
  }
}

/** Bytes per element of every dtype the format defines. */
const DTYPE_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  U16: 2,
  I16: 2,
  F16: 2,
  BF16: 2,
  U32: 4,
  I32: 4,
  F32: 4,
  U64: 8,
  I64: 8,
  F64: 8,
};

/** The dtypes whose values this reader turns into float32. */
export const READABLE_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type ReadableDtype = (typeof READABLE_DTYPES)[number];

export interface SafetensorsTensor {
  dtype: ReadableDtype;
  shape: number[];
  /** The values as float32, row-major. F32 data is a view into the buffer when it is 4-byte aligned. */
  data: Float32Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  /** Tensors in the order of their data in the file. */
  tensors: Map<string, SafetensorsTensor>;
}

/** The largest header we accept (the format's own readers use the same bound). */
export const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface Entry {
  name: string;
  dtype: ReadableDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses and validates a whole safetensors file; throws WeightsFormatError naming what is wrong. */
export function parseSafetensors(buffer: ArrayBuffer): SafetensorsFile {
  const fileBytes = buffer.byteLength;
  if (fileBytes < 8) throw new WeightsFormatError(`safetensors: file is ${fileBytes} bytes, shorter than the 8-byte header length`);

  const headerLength64 = new DataView(buffer, 0, 8).getBigUint64(0, true);
  if (headerLength64 > BigInt(MAX_HEADER_BYTES))
    throw new WeightsFormatError(
      `safetensors: header length ${headerLength64} is above the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`,
    );
  const headerLength = Number(headerLength64);
  if (8 + headerLength > fileBytes)
    throw new WeightsFormatError(`safetensors: header length ${headerLength} goes past the end of the ${fileBytes}-byte file (truncated?)`);

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(buffer, 8, headerLength));
  } catch {
    throw new WeightsFormatError('safetensors: header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    throw new WeightsFormatError(`safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) throw new WeightsFormatError('safetensors: header is not a JSON object');

  const dataStart = 8 + headerLength;
  const dataBytes = fileBytes - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value);
      continue;
    }
    entries.push(parseEntry(name, value, dataBytes));
  }

  // No two tensors may share a byte (gaps between them are allowed; empty tensors share nothing).
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.begin < prev.end)
      throw new WeightsFormatError(
        `safetensors: tensor "${cur.name}" (bytes ${cur.begin}..${cur.end}) overlaps tensor "${prev.name}" (bytes ${prev.begin}..${prev.end})`,
      );
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of [...entries].sort((a, b) => a.begin - b.begin)) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: readValues(buffer, dataStart + e.begin, e) });
  }
  return { metadata, tensors };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new WeightsFormatError('safetensors: "__metadata__" must be an object of strings');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      throw new WeightsFormatError(`safetensors: "__metadata__"."${key}" must be a string, got ${JSON.stringify(v)}`);
    out[key] = v;
  }
  return out;
}

function parseEntry(name: string, value: unknown, dataBytes: number): Entry {
  const where = `safetensors: tensor "${name}"`;
  if (!isPlainObject(value)) throw new WeightsFormatError(`${where}: entry is not an object`);

  const dtype = value.dtype;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZES, dtype))
    throw new WeightsFormatError(`${where}: unknown "dtype" ${JSON.stringify(dtype)}`);
  if (!(READABLE_DTYPES as readonly string[]).includes(dtype))
    throw new WeightsFormatError(`${where}: "dtype" ${dtype} cannot be read as float32 (supported: ${READABLE_DTYPES.join(', ')})`);

  const shape = value.shape;
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0))
    throw new WeightsFormatError(`${where}: "shape" must be a list of non-negative integers, got ${JSON.stringify(shape)}`);

  const offsets = value.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((n) => Number.isSafeInteger(n) && n >= 0) ||
    offsets[0] > offsets[1]
  )
    throw new WeightsFormatError(
      `${where}: "data_offsets" must be two non-negative integers [begin, end] with begin <= end, got ${JSON.stringify(offsets)}`,
    );
  const [begin, end] = offsets as [number, number];
  if (end > dataBytes)
    throw new WeightsFormatError(
      `${where}: "data_offsets" [${begin}, ${end}] go past the end of the ${dataBytes}-byte data section (truncated file?)`,
    );

  const count = (shape as number[]).reduce((p, n) => p * n, 1);
  const expected = count * DTYPE_SIZES[dtype];
  if (end - begin !== expected)
    throw new WeightsFormatError(
      `${where}: "data_offsets" [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} of shape ` +
        `${JSON.stringify(shape)} needs ${expected}`,
    );
  return { name, dtype: dtype as ReadableDtype, shape: [...(shape as number[])], begin, end };
}

/** The tensor's values as float32; `at` is the absolute byte offset of its data. */
function readValues(buffer: ArrayBuffer, at: number, e: Entry): Float32Array {
  switch (e.dtype) {
    case 'F32': {
      const n = (e.end - e.begin) / 4;
      if (LITTLE_ENDIAN_HOST && at % 4 === 0) return new Float32Array(buffer, at, n);
      if (LITTLE_ENDIAN_HOST) return new Float32Array(buffer.slice(at, at + 4 * n)); // unaligned: copy
      const view = new DataView(buffer, at, 4 * n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'F16': {
      const n = (e.end - e.begin) / 2;
      const view = new DataView(buffer, at, 2 * n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const n = (e.end - e.begin) / 2;
      const view = new DataView(buffer, at, 2 * n);
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
  }
}

/** IEEE 754 binary16 bits to a number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
