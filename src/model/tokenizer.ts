// Byte-level BPE tokenizer: every string encodes (any Unicode goes through its UTF-8
// bytes), and a streaming decoder never emits a broken UTF-8 sequence.
//
// Ids 0..255 are the raw bytes, 256.. are merges in rank order, and the last id is the
// document-boundary token. Text is first split into pre-tokens (a word with its leading
// space, a number, a run of punctuation, whitespace) so merges never cross word edges.

export interface TokenizerJSON {
  type: 'byte-bpe';
  /** Pre-tokenizer regular expression (Unicode, global). */
  pattern: string;
  /** Merge list in rank order: merges[r] = [left id, right id] makes id 256 + r. */
  merges: [number, number][];
  /** Special tokens by name; the document boundary is required. */
  special: { '<|endoftext|>': number };
  vocab_size: number;
}

export const PRETOKEN_PATTERN = "'(?:s|t|re|ve|m|ll|d)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const utf8 = new TextEncoder();
const MAX_PIECE_BYTES = 256;

export class Tokenizer {
  readonly vocabSize: number;
  readonly endOfText: number;
  private readonly pattern: RegExp;
  private readonly rank = new Map<number, number>(); // pair key -> merge rank
  private readonly bytesOf: Uint8Array[]; // id -> its bytes
  private readonly cache = new Map<string, number[]>();

  constructor(readonly json: TokenizerJSON) {
    validateTokenizerJSON(json);
    this.vocabSize = json.vocab_size;
    this.endOfText = json.special['<|endoftext|>'];
    this.pattern = new RegExp(json.pattern, 'gu');
    this.bytesOf = [];
    for (let b = 0; b < 256; b++) this.bytesOf.push(Uint8Array.of(b));
    json.merges.forEach(([a, b], r) => {
      this.rank.set(pairKey(a, b), r);
      this.bytesOf.push(concatBytes(this.bytesOf[a], this.bytesOf[b]));
    });
    this.bytesOf[this.endOfText] = new Uint8Array(0);
  }

  /** Encodes text to ids. The boundary token is never produced from text. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const match of text.matchAll(this.pattern)) {
      const piece = match[0];
      let pieceIds = this.cache.get(piece);
      if (!pieceIds) {
        pieceIds = this.encodeBytes(utf8.encode(piece));
        if (this.cache.size < 50_000) this.cache.set(piece, pieceIds);
      }
      for (const id of pieceIds) ids.push(id);
    }
    return ids;
  }

  /**
   * Applies the merges to one pre-token, lowest rank first (standard BPE). This is quadratic
   * in the piece's length, so a pasted 30k-character "word" would freeze the tab: pieces past
   * MAX_PIECE_BYTES are encoded in chunks (no such word occurs in the training corpus).
   */
  private encodeBytes(bytes: Uint8Array): number[] {
    if (bytes.length > MAX_PIECE_BYTES) {
      const ids: number[] = [];
      for (let at = 0; at < bytes.length; at += MAX_PIECE_BYTES)
        for (const id of this.encodeBytes(bytes.subarray(at, at + MAX_PIECE_BYTES))) ids.push(id);
      return ids;
    }
    const ids = Array.from(bytes);
    for (;;) {
      let bestRank = Infinity;
      let bestAt = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.rank.get(pairKey(ids[i], ids[i + 1]));
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bestAt = i;
        }
      }
      if (bestAt < 0) return ids;
      ids.splice(bestAt, 2, 256 + bestRank);
    }
  }

  /** The raw bytes of one token (empty for the boundary token). */
  tokenBytes(id: number): Uint8Array {
    const bytes = this.bytesOf[id];
    if (!bytes) throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return bytes;
  }

  /** Decodes a whole id sequence; invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[]): string {
    const stream = this.streamDecoder();
    return stream.push(ids) + stream.flush();
  }

  streamDecoder(): StreamDecoder {
    return new StreamDecoder(this);
  }
}

/**
 * Turns tokens into text as they arrive. A token may end inside a multi-byte UTF-8
 * character; those bytes are held back until the character is complete.
 */
export class StreamDecoder {
  // ignoreBOM: a U+FEFF the model writes at the start is text, not a byte-order mark to drop.
  private decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  constructor(private readonly tokenizer: Tokenizer) {}

  push(ids: readonly number[]): string {
    let out = '';
    for (const id of ids) out += this.decoder.decode(this.tokenizer.tokenBytes(id), { stream: true });
    return out;
  }

  /** Ends the stream: a held-back incomplete character becomes U+FFFD. */
  flush(): string {
    const out = this.decoder.decode();
    this.decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
    return out;
  }
}

export function pairKey(a: number, b: number): number {
  return a * 65536 + b;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Checks a tokenizer file before use; throws an Error naming the bad field. */
export function validateTokenizerJSON(json: unknown): asserts json is TokenizerJSON {
  const fail = (why: string): never => {
    throw new Error(`invalid tokenizer file: ${why}`);
  };
  if (typeof json !== 'object' || json === null) fail('not a JSON object');
  const t = json as Record<string, unknown>;
  if (t.type !== 'byte-bpe') fail(`"type" must be "byte-bpe", got ${JSON.stringify(t.type)}`);
  if (typeof t.pattern !== 'string') fail('"pattern" must be a string');
  try {
    new RegExp(t.pattern as string, 'gu');
  } catch (e) {
    fail(`"pattern" is not a valid regular expression (${(e as Error).message})`);
  }
  if (!Array.isArray(t.merges)) fail('"merges" must be an array');
  const merges = t.merges as unknown[];
  merges.forEach((m, r) => {
    const ok = Array.isArray(m) && m.length === 2 && m.every((id) => Number.isInteger(id) && id >= 0 && id < 256 + r);
    if (!ok) fail(`merge ${r} must be a pair of earlier ids, got ${JSON.stringify(m)}`);
  });
  const special = t.special as Record<string, unknown> | undefined;
  const eot = special?.['<|endoftext|>'];
  if (!Number.isInteger(eot)) fail('"special" must name the "<|endoftext|>" id');
  if (t.vocab_size !== 256 + merges.length + 1 || eot !== 256 + merges.length)
    fail(`"vocab_size" must be 256 bytes + ${merges.length} merges + 1 boundary token`);
}
