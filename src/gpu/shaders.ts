// The WGSL sources, loaded in this one module (Vite and Vitest resolve `?raw` to the file's text).
// Each file starts with a header: what it computes, its bindings, its workgroup layout. Every kernel
// is compiled after shaders/prelude.wgsl (the Block binding, row addressing, the lowest f32), and
// each one's `struct Params` must match its description in params.ts (tests/unit/params.test.ts).
import prelude from '../../shaders/prelude.wgsl?raw';
import argmax from '../../shaders/argmax.wgsl?raw';
import attention from '../../shaders/attention.wgsl?raw';
import embedding from '../../shaders/embedding.wgsl?raw';
import ffn from '../../shaders/ffn.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import rmsnorm from '../../shaders/rmsnorm.wgsl?raw';
import rope from '../../shaders/rope.wgsl?raw';
import sample from '../../shaders/sample.wgsl?raw';

/** Each kernel's own source, as in its file. */
export const kernelSources = { argmax, attention, embedding, ffn, matmul, rmsnorm, rope, sample } as const;

/** What is compiled: the prelude, then the kernel. */
export const shaders = Object.fromEntries(
  Object.entries(kernelSources).map(([name, source]) => [name, `${prelude}\n${source}`]),
) as Record<keyof typeof kernelSources, string>;

export type ShaderName = keyof typeof kernelSources;
