// The one small readback of a step, laid out in one place: what the engine copies into its staging
// buffer after the step's kernels (in the same submission), how many bytes it maps, and how the
// decode loop's results are read back out of them.
//
//   bytes 0 .. HEADER_BYTES:   u32 verify argmax rows 0..depth (or, after a sampling prefill, the
//                              main model's drawn token), then the drafts 1..depth
//   from HEADER_BYTES, greedy: the verify rows' logits (depth + 1 rows of V floats), for the
//                              no-repeat rule's rare fallback (a few KB ride along)
//   from HEADER_BYTES, sampling: p (depth + 1 rows: the main model's distributions), then q (depth
//                              rows: the distribution each module drew its draft from)

/** Bytes before the float rows: room for the verify argmax and the drafts, and alignment to spare. */
const HEADER_BYTES = 256;

/** The GPU buffers a readback copies from. */
export interface ReadbackSources {
  /** Verify argmax rows (u32). */
  verified: GPUBuffer;
  /** The main model's drawn token per row (u32), for a sampling prefill. */
  sampled: GPUBuffer;
  /** Token ids by position (u32): the drafts sit just past the committed ones. */
  tokens: GPUBuffer;
  /** Logits rows: main rows 0..D, then module k at row D + k. */
  logits: GPUBuffer;
  /** Sampling distributions, laid out as `logits`. */
  probs: GPUBuffer;
}

/** What one readback carries. */
export interface ReadbackRequest {
  depth: number;
  /** Committed tokens (the drafts start there). */
  committed: number;
  drafts: boolean;
  probs: boolean;
  /** Row 0 is the main model's drawn token, not its argmax (a sampling prefill). */
  sampledToken?: boolean;
}

export interface ReadbackResult {
  verified: number[];
  drafts: number[];
  /** Greedy: the verify rows' logits, depth + 1 rows of V. */
  mainLogits?: Float32Array;
  p?: Float32Array[];
  q?: Float32Array[];
}

export class ReadbackLayout {
  constructor(
    private readonly vocab: number,
    private readonly mtpDepth: number,
    verifyRows: number,
  ) {
    if ((verifyRows + mtpDepth) * 4 > HEADER_BYTES)
      throw new RangeError(`readback header too small for ${verifyRows} verify rows and ${mtpDepth} drafts`);
    this.stagingBytes = HEADER_BYTES + Math.max(2 * mtpDepth + 1, verifyRows) * vocab * 4;
  }

  /** Size of the staging buffer: the largest readback (sampling at full depth, or the cost curve's rows). */
  readonly stagingBytes: number;

  /** Bytes a request maps. */
  bytes(r: ReadbackRequest): number {
    return HEADER_BYTES + (r.probs ? 2 * r.depth + 1 : r.depth + 1) * this.vocab * 4;
  }

  /** Records the copies of a request into `encoder`, after the step's kernels. */
  encode(encoder: GPUCommandEncoder, from: ReadbackSources, staging: GPUBuffer, r: ReadbackRequest): void {
    const row = this.vocab * 4;
    const drafts = r.drafts ? r.depth : 0;
    encoder.copyBufferToBuffer(r.sampledToken ? from.sampled : from.verified, 0, staging, 0, (r.depth + 1) * 4);
    if (drafts > 0) encoder.copyBufferToBuffer(from.tokens, r.committed * 4, staging, (r.depth + 1) * 4, drafts * 4);
    if (r.probs) {
      encoder.copyBufferToBuffer(from.probs, 0, staging, HEADER_BYTES, (r.depth + 1) * row);
      if (r.depth > 0)
        encoder.copyBufferToBuffer(from.probs, (this.mtpDepth + 1) * row, staging, HEADER_BYTES + (r.depth + 1) * row, r.depth * row);
    } else {
      encoder.copyBufferToBuffer(from.logits, 0, staging, HEADER_BYTES, (r.depth + 1) * row);
    }
  }

  /** Reads a request's results out of its mapped bytes (a copy, so the staging buffer can be unmapped). */
  decode(mapped: ArrayBuffer, r: ReadbackRequest): ReadbackResult {
    const V = this.vocab;
    const drafts = r.drafts ? r.depth : 0;
    const words = new Uint32Array(mapped, 0, r.depth + 1 + drafts);
    const result: ReadbackResult = {
      verified: Array.from(words.subarray(0, r.depth + 1)),
      drafts: Array.from(words.subarray(r.depth + 1)),
    };
    const rowAt = (i: number) => new Float32Array(mapped, HEADER_BYTES + i * V * 4, V);
    if (r.probs) {
      result.p = Array.from({ length: r.depth + 1 }, (_, j) => rowAt(j));
      result.q = Array.from({ length: r.depth }, (_, k0) => rowAt(r.depth + 1 + k0));
    } else {
      result.mainLogits = new Float32Array(mapped, HEADER_BYTES, (r.depth + 1) * V);
    }
    return result;
  }
}
