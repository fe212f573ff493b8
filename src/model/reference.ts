// The CPU reference forward pass: the oracle that every GPU kernel and the whole GPU
// engine are tested against. It follows training/model.py line by line, one position at
// a time, with a KV cache per transformer block (main layers and each MTP module's block).
//
// Positions are absolute: processing position `pos` writes KV slot `pos` and attends over
// slots 0..pos. Rolling back is therefore free: process an earlier position again and the
// later slots are simply overwritten before anything reads them.
import { mainBlocks, mtpBlocks, type BlockSpec, type ModelConfig } from './config.ts';
import { addInPlace, argmax, attention, matvec, matvecRows, rmsnorm, rope, siluMul } from './ops.ts';
import type { Weights } from './weights.ts';

/** Named float32 tensors, as the safetensors loader returns them. */

interface BlockWeights {
  attnNorm: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  ffnNorm: Float32Array;
  w1: Float32Array;
  w3: Float32Array;
  w2: Float32Array;
  /** SwiGLU width (rows of w1 and w3). */
  hidden: number;
}

interface MTPWeights {
  hnorm: Float32Array;
  enorm: Float32Array;
  proj: Float32Array;
  blocks: BlockWeights[];
  norm: Float32Array;
}

/** Keys and values of one transformer block, max_seq_len positions of d floats. */
export class KVCache {
  readonly k: Float32Array;
  readonly v: Float32Array;
  constructor(maxLen: number, d: number) {
    this.k = new Float32Array(maxLen * d);
    this.v = new Float32Array(maxLen * d);
  }
}

/** One cache per main layer, and per block of each MTP module. */
export interface ModelCache {
  main: KVCache[];
  mtp: KVCache[][];
}

export interface StepOutput {
  /** The block stack's output before the final norm (h^0 for main, h^k for module k). */
  hidden: Float32Array;
  logits: Float32Array;
}

export class ReferenceModel {
  readonly config: ModelConfig;
  private readonly emb: Float32Array;
  private readonly norm: Float32Array;
  private readonly layers: BlockWeights[];
  private readonly mtpModules: MTPWeights[];
  /** The tokens the modules' head scores (Weights.draftVocab); undefined: all. */
  private readonly draftVocab?: Uint32Array;

  constructor(weights: Weights) {
    const c = (this.config = weights.config);
    const t = (name: string) => weights.tensor(name);
    const block = ({ prefix: p, hidden }: BlockSpec): BlockWeights => ({
      attnNorm: t(`${p}.attn_norm.weight`),
      wq: t(`${p}.attn.wq.weight`),
      wk: t(`${p}.attn.wk.weight`),
      wv: t(`${p}.attn.wv.weight`),
      wo: t(`${p}.attn.wo.weight`),
      ffnNorm: t(`${p}.ffn_norm.weight`),
      w1: t(`${p}.ffn.w1.weight`),
      w3: t(`${p}.ffn.w3.weight`),
      w2: t(`${p}.ffn.w2.weight`),
      hidden,
    });
    this.emb = t('tok_emb.weight');
    this.norm = t('norm.weight');
    this.draftVocab = weights.draftVocab;
    this.layers = mainBlocks(c).map(block);
    this.mtpModules = Array.from({ length: c.mtp_depth }, (_, k) => ({
      hnorm: t(`mtp.${k}.hnorm.weight`),
      enorm: t(`mtp.${k}.enorm.weight`),
      proj: t(`mtp.${k}.proj.weight`),
      blocks: mtpBlocks(c, k).map(block),
      norm: t(`mtp.${k}.norm.weight`),
    }));
  }

  newCache(): ModelCache {
    const { max_seq_len: n, d_model: d } = this.config;
    return {
      main: this.layers.map(() => new KVCache(n, d)),
      mtp: this.mtpModules.map((m) => m.blocks.map(() => new KVCache(n, d))),
    };
  }

  embed(token: number): Float32Array {
    const { d_model: d, vocab_size: V } = this.config;
    if (!Number.isInteger(token) || token < 0 || token >= V) throw new RangeError(`token id ${token} is outside 0..${V - 1}`);
    return this.emb.slice(token * d, (token + 1) * d);
  }

  /** The main model at one position: its hidden state h^0 and next-token logits. */
  main(cache: ModelCache, token: number, pos: number): StepOutput {
    this.checkPosition(pos);
    let x = this.embed(token);
    this.layers.forEach((layer, i) => (x = this.block(layer, cache.main[i], x, pos)));
    return { hidden: x, logits: this.head(rmsnorm(x, this.norm, this.config.norm_eps)) };
  }

  /**
   * MTP module k (1-based) at position `pos`: combines h^(k-1) at `pos` with the embedding
   * of token pos + k; its logits predict token pos + k + 1 (EXCLUDED_LOGIT outside the draft vocabulary).
   */
  mtp(k: number, cache: ModelCache, hPrev: Float32Array, tokenAhead: number, pos: number): StepOutput {
    this.checkPosition(pos);
    const m = this.mtpModules[k - 1];
    if (!m) throw new RangeError(`MTP module ${k} does not exist (depth ${this.config.mtp_depth})`);
    const { d_model: d, norm_eps: eps } = this.config;
    const joined = new Float32Array(2 * d);
    rmsnorm(hPrev, m.hnorm, eps, joined.subarray(0, d));
    rmsnorm(this.embed(tokenAhead), m.enorm, eps, joined.subarray(d));
    let x = matvec(m.proj, joined, d);
    m.blocks.forEach((block, j) => (x = this.block(block, cache.mtp[k - 1][j], x, pos)));
    const normed = rmsnorm(x, m.norm, eps);
    const { vocab_size: V } = this.config;
    return { hidden: x, logits: this.draftVocab ? matvecRows(this.emb, normed, V, this.draftVocab) : this.head(normed) };
  }

  /** Greedy next token of a step's logits. */
  static argmax(output: StepOutput): number {
    return argmax(output.logits);
  }

  private head(normed: Float32Array): Float32Array {
    return matvec(this.emb, normed, this.config.vocab_size);
  }

  private block(w: BlockWeights, cache: KVCache, x: Float32Array, pos: number): Float32Array {
    const { d_model: d, n_heads: H, rope_theta: theta, norm_eps: eps } = this.config;
    const a = rmsnorm(x, w.attnNorm, eps);
    const q = rope(matvec(w.wq, a, d), pos, H, theta);
    cache.k.set(rope(matvec(w.wk, a, d), pos, H, theta), pos * d);
    cache.v.set(matvec(w.wv, a, d), pos * d);
    const attn = attention(q, cache.k, cache.v, pos + 1, H);
    const h = addInPlace(x.slice(), matvec(w.wo, attn, d));
    const f = rmsnorm(h, w.ffnNorm, eps);
    const g = siluMul(matvec(w.w1, f, w.hidden), matvec(w.w3, f, w.hidden));
    return addInPlace(h, matvec(w.w2, g, d));
  }

  private checkPosition(pos: number): void {
    const max = this.config.max_seq_len;
    if (!Number.isInteger(pos) || pos < 0 || pos >= max) throw new RangeError(`position ${pos} is outside the context (0..${max - 1})`);
  }
}
