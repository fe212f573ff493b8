// What a GpuEngine is made of, built once: its GPU buffers (allocate) and every kernel use of the
// main model and its modules, bound to them (buildStacks). A step (src/gpu/engine.ts) only picks
// which of these uses run on which row batch.
import { mainBlocks, mtpBlocks, type BlockSpec, type ModelConfig } from '../model/config.ts';
import { TREE_MAX_ROWS } from '../model/draft-tree.ts';
import type { Dispatch, QkvCache, SampleDispatch, View } from './dispatch.ts';
import type { Kernels } from './kernels.ts';
import { ReadbackLayout } from './readback.ts';
import type { WeightBuffer } from './weight-buffer.ts';

/** Largest verify block (rows) the engine is set up for: D + 1, a draft tree's (TREE_MAX_ROWS), and
 * the cost curve's. */
export const VERIFY_MAX_ROWS = TREE_MAX_ROWS;

/** One model's stack of dispatches for a row batch (main model or an MTP module). */
export interface Stack {
  /** Input of the batch's rows: the embedding gather (main) or the MTP input (mtp-input.wgsl). */
  input: Dispatch;
  /** The transformer blocks' dispatches, three a block: qkv, attention, wo_ffn. */
  blockOps: Dispatch[];
  /** Final norm, logits and argmax, for the rows that need logits. */
  head: Dispatch;
  /** The sampling kernel on the head's logits rows (after the head, when a step samples). */
  sample: SampleDispatch;
}

/** The main model's stack, and its draft-tree compaction (the moves of an accepted path's rows). */
export interface MainStack extends Stack {
  compact: Dispatch;
}

/** The engine's GPU buffers, apart from the weights: what a step reads and writes. */
export interface Buffers {
  /** Token ids by absolute position, with room for the drafts (or a tree's nodes) past the context's last position. */
  tokens: GPUBuffer;
  /** The main model's argmax of each verify row, a tree's included (and of the prefill's last row). */
  results: GPUBuffer;
  verifyRows: number;
  staging: GPUBuffer;
  /** Logits: main rows 0..D, then module k at row D + k (T(M) and a tree spill their rows past D into these; a
   * tree's verify rows run past them, and module k's drafting rows run from D + k on). */
  logits: GPUBuffer;
  /** Sampling distributions, laid out as `logits`. */
  probs: GPUBuffer;
  /** The main model's drawn token per row (read after a sampling prefill; unused in steps). */
  sampled: GPUBuffer;
  /** Uniforms of the draws: module k at k - 1, main row r at D + r. */
  uniforms: GPUBuffer;
  /** Each block's Q | K | V cache (S rows of 3d), the main model's blocks first, then each module's.
   * The main model's are one buffer (`mainCaches`, layer l at l * S * 3d), for the tree's compaction. */
  caches: QkvCache[];
  mainCaches: GPUBuffer;
  /** The attention's output of a block's rows (up to a prefill's S), read by wo_ffn. */
  attention: GPUBuffer;
  /** Residual streams by absolute position: the main model's (h^0 after its last block), then module k's (h^k). */
  streams: GPUBuffer[];
  /** Every buffer the engine owns, destroyed with it. */
  owned: GPUBuffer[];
}

export function allocate(device: GPUDevice, c: ModelConfig): Buffers {
  const { d_model: d, vocab_size: V, max_seq_len: S, mtp_depth: D } = c;
  const owned: GPUBuffer[] = [];
  const storage = (label: string, floats: number, extra = 0) => {
    const b = device.createBuffer({ label, size: floats * 4, usage: GPUBufferUsage.STORAGE | extra });
    owned.push(b);
    return b;
  };
  const verifyRows = Math.max(D + 1, VERIFY_MAX_ROWS);
  const layerCache = S * 3 * d;
  const mainCaches = storage('main q|k|v caches', c.n_layers * layerCache);
  const staging = device.createBuffer({
    label: 'readback',
    size: new ReadbackLayout(V, D, verifyRows).stagingBytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  owned.push(staging);
  return {
    tokens: storage('tokens', S + Math.max(D, TREE_MAX_ROWS) + 2, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC),
    results: storage('verify argmax', verifyRows, GPUBufferUsage.COPY_SRC),
    verifyRows,
    staging,
    logits: storage('logits', (2 * D + TREE_MAX_ROWS) * V, GPUBufferUsage.COPY_SRC),
    probs: storage('sampling distributions', (2 * D + 1) * V, GPUBufferUsage.COPY_SRC),
    sampled: storage('main drawn tokens', D + 1, GPUBufferUsage.COPY_SRC),
    uniforms: storage('draw uniforms', 2 * D + 1, GPUBufferUsage.COPY_DST),
    caches: [
      ...Array.from({ length: c.n_layers }, (_, i) => ({ buffer: mainCaches, base: i * layerCache })),
      ...Array.from({ length: D * c.mtp_layers }, (_, i) => ({ buffer: storage(`block ${c.n_layers + i} q|k|v cache`, layerCache) })),
    ],
    mainCaches,
    attention: storage('attention out', S * d),
    streams: [storage('main stream h0', S * d), ...Array.from({ length: D }, (_, k0) => storage(`mtp${k0 + 1} stream h${k0 + 1}`, S * d))],
    owned,
  };
}

/**
 * Every kernel use of the main model and its modules, bound to its buffers. A block's KV cache is
 * its Q | K | V rows by absolute position (3d wide), written by qkv and read by attention (the Q part
 * of old positions is never read again: d floats a position). Module k's draft goes straight into
 * the token buffer at the position it predicts (pos + k + 1), by argmax or by the sampling kernel.
 */
export function buildStacks(kernels: Kernels, weights: WeightBuffer, buffers: Buffers, c: ModelConfig): { main: MainStack; mtp: Stack[] } {
  const { d_model: d, vocab_size: V, max_seq_len: S, n_heads: H, mtp_depth: D, norm_eps: eps } = c;
  const w = (n: string) => weights.view(n);
  const rope = kernels.ropeTable(d / H, S, c.rope_theta);
  const { tokens, logits } = buffers;
  const tokenView = (ahead: number): View => ({ buffer: tokens, base: ahead, positional: true });
  const stream = (i: number): View => ({ buffer: buffers.streams[i], positional: true });
  const att: View = { buffer: buffers.attention };

  let blocks = 0;
  const block = ({ prefix, hidden }: BlockSpec, x: View, label: string): Dispatch[] => {
    const cache = buffers.caches[blocks++];
    const wqkv = weights.columns(`${prefix}.attn.wq.weight`, `${prefix}.attn.wk.weight`, `${prefix}.attn.wv.weight`);
    const w13 = weights.columns(`${prefix}.ffn.w1.weight`, `${prefix}.ffn.w3.weight`);
    return [
      kernels.qkv({
        x,
        norm: w(`${prefix}.attn_norm.weight`),
        w: wqkv,
        cache,
        table: rope,
        d,
        nHeads: H,
        eps,
        label: `${label} norm+qkv+rope`,
      }),
      kernels.attention({ cache, out: att, d, nHeads: H, label: `${label} attention` }),
      kernels.woFfn({
        x,
        att,
        wo: weights.columns(`${prefix}.attn.wo.weight`),
        norm: w(`${prefix}.ffn_norm.weight`),
        w13,
        w2: weights.columns(`${prefix}.ffn.w2.weight`),
        d,
        hidden,
        eps,
        label: `${label} wo+ffn`,
      }),
    ];
  };
  // The modules' head scores only the draft vocabulary where the model has one; the main model's, every token.
  const head = (x: View, norm: string, logitsRow: number, ids: View, label: string, draft = false): Dispatch => {
    const draftHead = draft ? weights.draftHead : undefined;
    return kernels.head({
      x,
      norm: w(norm),
      table: draftHead?.table ?? weights.columns('tok_emb.weight'),
      logits: { buffer: logits, base: logitsRow * V },
      ids,
      d,
      n: V,
      eps,
      vocabulary: draftHead?.vocabulary,
      label: `${label} norm+head+argmax`,
    });
  };
  // The setting is a placeholder until the first sampling step sets it (setSampling).
  const sample = (logitsRow: number, uniform: number, out: View, label: string): SampleDispatch =>
    kernels.sample({
      logits: { buffer: logits, base: logitsRow * V },
      uniforms: { buffer: buffers.uniforms, base: uniform },
      probs: { buffer: buffers.probs, base: logitsRow * V },
      out,
      n: V,
      temperature: 1,
      topP: 1,
      label: `${label} sample`,
    });

  const main: MainStack = {
    input: kernels.embedding({ table: w('tok_emb.weight'), tokens: tokenView(0), out: stream(0), d, vocab: V, label: 'main embedding' }),
    blockOps: mainBlocks(c).flatMap((spec, i) => block(spec, stream(0), `main L${i}`)),
    head: head(stream(0), 'norm.weight', 0, { buffer: buffers.results }, 'main'),
    sample: sample(0, D, { buffer: buffers.sampled }, 'main'),
    compact: kernels.compact({
      caches: buffers.mainCaches,
      layers: c.n_layers,
      cLayer: S * 3 * d,
      stream: buffers.streams[0],
      d,
      label: 'main tree compaction',
    }),
  };
  const mtp = Array.from({ length: D }, (_, k0): Stack => {
    const k = k0 + 1;
    const p = `mtp.${k0}`;
    return {
      input: kernels.mtpInput({
        x: stream(k0),
        tokens: tokenView(k),
        table: w('tok_emb.weight'),
        hnorm: w(`${p}.hnorm.weight`),
        enorm: w(`${p}.enorm.weight`),
        proj: weights.columns(`${p}.proj.weight`),
        out: stream(k),
        d,
        vocab: V,
        eps,
        label: `mtp${k} embedding+norms+proj`,
      }),
      blockOps: mtpBlocks(c, k0).flatMap((spec, j) => block(spec, stream(k), c.mtp_layers > 1 ? `mtp${k} B${j}` : `mtp${k}`)),
      head: head(stream(k), `${p}.norm.weight`, D + k, tokenView(k + 1), `mtp${k}`, true),
      sample: sample(D + k, k0, tokenView(k + 1), `mtp${k}`),
    };
  });
  return { main, mtp };
}
