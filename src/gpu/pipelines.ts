// The kernels' bind group layouts and compute pipelines, compiled once per device: which storage
// bindings each shader has (binding 2 on; its Params uniform is params.ts's), which read the draft
// tree's node records (binding 8), and the attention pipeline's head size. Kernels (kernels.ts)
// builds every kernel use on these.
import { ROW_BATCH_BYTES } from './dispatch.ts';
import { paramsLayout } from './params.ts';
import { shaders, type ShaderName } from './shaders.ts';

type Access = 'read' | 'rw';

export interface Family {
  layout: GPUBindGroupLayout;
  storage: Access[];
}

// Each shader's storage bindings from binding 2 on (its Params: params.ts). The fused kernels' first
// two are rows.wgsl's: the residual stream (read and written) and the weights.
const FAMILIES: Record<ShaderName, Access[]> = {
  embedding: ['read', 'read', 'rw'],
  mtp_input: ['rw', 'read', 'read', 'rw'],
  qkv: ['rw', 'read', 'read', 'rw'],
  attention: ['read', 'rw'],
  wo_ffn: ['rw', 'read', 'read'],
  head: ['rw', 'read', 'rw', 'rw', 'read'],
  sample: ['read', 'read', 'rw', 'rw'],
  compact: ['rw', 'rw'],
};

/** The kernels that read draft-tree rows (binding 8: prelude.wgsl's Node records). */
export const TREE_FAMILIES: readonly ShaderName[] = ['mtp_input', 'qkv', 'attention', 'head', 'compact'];
export const NODES_BINDING = 8;

/**
 * Compiles every kernel family (or just `only`: tests, since SwiftShader takes seconds per
 * pipeline) with createComputePipelineAsync, all at once. `headDim` is a constant of the attention
 * pipeline (attention.wgsl HEAD_DIM).
 */
export async function compileKernels(
  device: GPUDevice,
  headDim: number,
  only?: readonly ShaderName[],
): Promise<{ families: Partial<Record<ShaderName, Family>>; pipelines: Map<string, GPUComputePipeline> }> {
  const constants: Partial<Record<ShaderName, Record<string, number>>> = { attention: { HEAD_DIM: headDim } };
  const families: Partial<Record<ShaderName, Family>> = {};
  const pending: Promise<[string, GPUComputePipeline]>[] = [];
  for (const [name, storage] of Object.entries(FAMILIES) as [ShaderName, Access[]][]) {
    if (only && !only.includes(name)) continue;
    const layout = device.createBindGroupLayout({
      label: name,
      entries: [
        {
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: ROW_BATCH_BYTES },
        },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', minBindingSize: paramsLayout(name).bytes } },
        ...storage.map((access, i) => ({
          binding: i + 2,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
        })),
        ...(TREE_FAMILIES.includes(name)
          ? [{ binding: NODES_BINDING, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' as const } }]
          : []),
      ],
    });
    families[name] = { layout, storage };
    const module = device.createShaderModule({ label: name, code: shaders[name] });
    const pipelineLayout = device.createPipelineLayout({ label: name, bindGroupLayouts: [layout] });
    pending.push(
      device
        .createComputePipelineAsync({
          label: name,
          layout: pipelineLayout,
          compute: { module, entryPoint: 'main', constants: constants[name] },
        })
        .then((p): [string, GPUComputePipeline] => [name, p]),
    );
  }
  return { families, pipelines: new Map(await Promise.all(pending)) };
}
