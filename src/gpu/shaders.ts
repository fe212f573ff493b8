// The WGSL sources, loaded in this one module (Vite and Vitest resolve `?raw` to the file's text).
// Each file starts with a header: what it computes, its bindings, its workgroup layout.
import argmax from '../../shaders/argmax.wgsl?raw';
import attention from '../../shaders/attention.wgsl?raw';
import embedding from '../../shaders/embedding.wgsl?raw';
import ffn from '../../shaders/ffn.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import rmsnorm from '../../shaders/rmsnorm.wgsl?raw';
import rope from '../../shaders/rope.wgsl?raw';
import sample from '../../shaders/sample.wgsl?raw';
import softmax from '../../shaders/softmax.wgsl?raw';

export const shaders = { argmax, attention, embedding, ffn, matmul, rmsnorm, rope, sample, softmax } as const;

export type ShaderName = keyof typeof shaders;
