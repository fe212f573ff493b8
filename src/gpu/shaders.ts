// The WGSL sources, loaded in this one module (Vite and Vitest resolve `?raw` to the file's text).
// Each file starts with a header: what it computes, its bindings, its workgroup layout. Every kernel
// is compiled after shaders/prelude.wgsl (the Block binding, row addressing, the lowest f32); the
// fused kernels also after shaders/rows.wgsl (the stream and weights bindings, a
// workgroup's group of rows, RMSNorm, the products). Each kernel's `struct Params` must match its
// description in params.ts (tests/unit/params.test.ts).
import prelude from '../../shaders/prelude.wgsl?raw';
import rows from '../../shaders/rows.wgsl?raw';
import attention from '../../shaders/attention.wgsl?raw';
import compact from '../../shaders/compact.wgsl?raw';
import embedding from '../../shaders/embedding.wgsl?raw';
import head from '../../shaders/head.wgsl?raw';
import mtp_input from '../../shaders/mtp-input.wgsl?raw';
import qkv from '../../shaders/qkv.wgsl?raw';
import sample from '../../shaders/sample.wgsl?raw';
import wo_ffn from '../../shaders/wo-ffn.wgsl?raw';

/** Each kernel's own source, as in its file, and whether it builds on rows.wgsl. */
const kernels = {
  embedding: { source: embedding, rows: false },
  mtp_input: { source: mtp_input, rows: true },
  qkv: { source: qkv, rows: true },
  attention: { source: attention, rows: false },
  wo_ffn: { source: wo_ffn, rows: true },
  head: { source: head, rows: true },
  sample: { source: sample, rows: false },
  compact: { source: compact, rows: false },
} as const;

export type ShaderName = keyof typeof kernels;

/** Each kernel's own source, as in its file. */
export const kernelSources = Object.fromEntries(Object.entries(kernels).map(([name, k]) => [name, k.source])) as Record<ShaderName, string>;

/** What is compiled: the prelude, rows.wgsl where the kernel builds on it, then the kernel. */
export const shaders = Object.fromEntries(
  Object.entries(kernels).map(([name, k]) => [name, [prelude, ...(k.rows ? [rows] : []), k.source].join('\n')]),
) as Record<ShaderName, string>;
