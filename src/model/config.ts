// The model's shape, as stored in the safetensors `__metadata__` ("config", a JSON string)
// and mirrored from training/model.py's Config.

export interface ModelConfig {
  vocab_size: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  ffn_hidden: number;
  max_seq_len: number;
  mtp_depth: number;
  /** Transformer blocks per MTP module (DeepSeek-V3: one). */
  mtp_layers: number;
  /** SwiGLU width of the MTP modules' blocks. */
  mtp_ffn_hidden: number;
  rope_theta: number;
  norm_eps: number;
}

/**
 * Sane bounds of every integer field, checked when a model loads, before any buffer is sized from
 * it: a config of 1e9 positions must be refused by name, not by a failed allocation. The limits
 * are far above the shipped models' (d 128, 12 layers, 256 positions, D 3) and keep the largest
 * buffer (the KV caches: max_seq_len x d_model x blocks) within what a browser allocates. The
 * context must also hold the boundary token, a token and a full chain of drafts (checked below).
 */
export const CONFIG_BOUNDS = {
  vocab_size: [2, 65_536],
  d_model: [2, 4096],
  n_layers: [1, 128],
  n_heads: [1, 256],
  ffn_hidden: [1, 65_536],
  max_seq_len: [4, 8192],
  mtp_depth: [0, 8],
  mtp_layers: [1, 16],
  mtp_ffn_hidden: [1, 65_536],
} as const satisfies Record<string, readonly [number, number]>;

export function headDim(config: ModelConfig): number {
  return config.d_model / config.n_heads;
}

/** Checks a parsed config; throws an Error naming the bad field. */
export function parseConfig(value: unknown): ModelConfig {
  if (typeof value !== 'object' || value === null) throw new Error('model config: not a JSON object');
  const c = value as Record<string, unknown>;
  for (const [field, [min, max]] of Object.entries(CONFIG_BOUNDS)) {
    const v = c[field];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
      throw new Error(`model config: "${field}" must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  for (const field of ['rope_theta', 'norm_eps'] as const) {
    const v = c[field];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      throw new Error(`model config: "${field}" must be a positive finite number, got ${JSON.stringify(v)}`);
  }
  const config = c as unknown as ModelConfig;
  if (config.max_seq_len < config.mtp_depth + 2)
    throw new Error(
      `model config: "max_seq_len" (${config.max_seq_len}) must hold a token and "mtp_depth" (${config.mtp_depth}) drafts after the boundary token`,
    );
  if (config.d_model % config.n_heads !== 0 || headDim(config) % 2 !== 0)
    throw new Error(`model config: "d_model" (${config.d_model}) must split into "n_heads" (${config.n_heads}) heads of even size`);
  return config;
}

/** One transformer block: the prefix of its tensor names and its SwiGLU width. */
export interface BlockSpec {
  prefix: string;
  hidden: number;
}

/** The main model's blocks, in order. */
export function mainBlocks(config: ModelConfig): BlockSpec[] {
  return Array.from({ length: config.n_layers }, (_, i) => ({ prefix: `layers.${i}`, hidden: config.ffn_hidden }));
}

/** The blocks of MTP module k0 + 1 (k0 counts from 0, as its tensor names do), in order. */
export function mtpBlocks(config: ModelConfig, k0: number): BlockSpec[] {
  return Array.from({ length: config.mtp_layers }, (_, j) => ({ prefix: `mtp.${k0}.blocks.${j}`, hidden: config.mtp_ffn_hidden }));
}

/** Every tensor a config needs, with its shape ([out, in] for matrices, as PyTorch stores them). */
export function expectedTensors(config: ModelConfig): Map<string, number[]> {
  const { vocab_size: V, d_model: d } = config;
  const shapes = new Map<string, number[]>([
    ['tok_emb.weight', [V, d]],
    ['norm.weight', [d]],
  ]);
  const block = ({ prefix, hidden: h }: BlockSpec) => {
    shapes.set(`${prefix}.attn_norm.weight`, [d]);
    for (const w of ['wq', 'wk', 'wv', 'wo']) shapes.set(`${prefix}.attn.${w}.weight`, [d, d]);
    shapes.set(`${prefix}.ffn_norm.weight`, [d]);
    shapes.set(`${prefix}.ffn.w1.weight`, [h, d]);
    shapes.set(`${prefix}.ffn.w3.weight`, [h, d]);
    shapes.set(`${prefix}.ffn.w2.weight`, [d, h]);
  };
  mainBlocks(config).forEach(block);
  for (let k = 0; k < config.mtp_depth; k++) {
    shapes.set(`mtp.${k}.hnorm.weight`, [d]);
    shapes.set(`mtp.${k}.enorm.weight`, [d]);
    shapes.set(`mtp.${k}.proj.weight`, [d, 2 * d]);
    mtpBlocks(config, k).forEach(block);
    shapes.set(`mtp.${k}.norm.weight`, [d]);
  }
  return shapes;
}
