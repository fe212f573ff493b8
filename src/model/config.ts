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

const INTEGER_FIELDS = [
  'vocab_size',
  'd_model',
  'n_layers',
  'n_heads',
  'ffn_hidden',
  'max_seq_len',
  'mtp_depth',
  'mtp_layers',
  'mtp_ffn_hidden',
] as const;

export function headDim(config: ModelConfig): number {
  return config.d_model / config.n_heads;
}

/** Checks a parsed config; throws an Error naming the bad field. */
export function parseConfig(value: unknown): ModelConfig {
  if (typeof value !== 'object' || value === null) throw new Error('model config: not a JSON object');
  const c = value as Record<string, unknown>;
  for (const field of INTEGER_FIELDS) {
    const v = c[field];
    if (!Number.isInteger(v) || (v as number) < (field === 'mtp_depth' ? 0 : 1))
      throw new Error(`model config: "${field}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  for (const field of ['rope_theta', 'norm_eps'] as const) {
    const v = c[field];
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`model config: "${field}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  const config = c as unknown as ModelConfig;
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
  const shapes = new Map<string, number[]>([['tok_emb.weight', [V, d]], ['norm.weight', [d]]]);
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
