// A small safetensors writer for tests: it mirrors the format that src/model/safetensors.ts
// reads (u64 LE header length, UTF-8 JSON header, raw little-endian data), and can also write
// deliberately broken files.

export interface TensorToWrite {
  /** Defaults to F32. */
  dtype?: string;
  shape: number[];
  /** F32 values, or the raw bytes for any dtype. */
  data: Float32Array | Uint8Array;
}

export interface WriteOptions {
  metadata?: Record<string, string>;
  /**
   * Pads the header with spaces so that the data section starts at this offset modulo 8
   * (the real writers use 0, keeping F32 data 4-byte aligned). Default 0.
   */
  dataStartMod8?: number;
}

/** Writes a valid file: tensors back to back, in the order given. */
export function writeSafetensors(tensors: Record<string, TensorToWrite>, options: WriteOptions = {}): ArrayBuffer {
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = t.data instanceof Float32Array ? f32Bytes(t.data) : t.data;
    header[name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  return assemble(header, concat(chunks), options.dataStartMod8 ?? 0);
}

/**
 * Writes a file from an arbitrary header (a value to JSON-encode, or the header's exact text or
 * bytes) and data section. `headerLength` overrides the length field.
 */
export function rawSafetensors(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  options: { headerLength?: bigint; dataStartMod8?: number } = {},
): ArrayBuffer {
  return assemble(header, data, options.dataStartMod8, options.headerLength);
}

function assemble(header: unknown, data: Uint8Array, dataStartMod8?: number, headerLength?: bigint): ArrayBuffer {
  let headerBytes =
    header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (dataStartMod8 !== undefined) {
    const pad = (((dataStartMod8 - 8 - headerBytes.length) % 8) + 8) % 8;
    headerBytes = concat([headerBytes, new TextEncoder().encode(' '.repeat(pad))]);
  }
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out.buffer;
}

export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return out;
}

export function u16Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(2 * i, values[i], true);
  return out;
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
