// Shared harness for the GPU tests: Dawn (the `webgpu` package) in Node, on SwiftShader
// when there is no GPU (vitest.config.ts sets VK_ICD_FILENAMES for the `gpu` project).
//
// The adapter and device are requested in `beforeAll`, never inside a test body (a Dawn
// crash, "Cannot create a handle without a HandleScope", was reported otherwise).
import { afterAll, beforeAll } from 'vitest';
import { create, globals } from 'webgpu';
import type { RowBatch } from '../../src/gpu/dispatch.ts';
import { Kernels } from '../../src/gpu/kernels.ts';
import type { ShaderName } from '../../src/gpu/shaders.ts';

export interface Gpu {
  device: GPUDevice;
  /**
   * The GPU object from `create`. It must stay reachable while the device lives: when it is
   * garbage collected, Dawn tears its instance down under the device and the process dies
   * (SIGSEGV, or "terminate called after throwing an instance of 'std::system_error'").
   */
  navigatorGpu: GPU;
}

/**
 * The device of this test process: the gpu project runs its files without isolation
 * (vitest.config.ts), so every file a worker runs gets the same device, requested once (in the
 * first file's beforeAll). Dawn compiles a pipeline once per device and hands the same one to any
 * later request with the same descriptor, so a file gets the pipelines an earlier file compiled
 * instead of compiling them again (seconds each on SwiftShader). Never destroyed: the process ends
 * with it.
 */
let processGpu: Promise<Gpu> | undefined;
function openProcessGpu(): Promise<Gpu> {
  processGpu ??= (async () => {
    Object.assign(globalThis, globals);
    const navigatorGpu = create([]);
    const adapter = await navigatorGpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter (is VK_ICD_FILENAMES pointing at SwiftShader?)');
    const device = await adapter.requestDevice();
    device.addEventListener('uncapturederror', (e) => {
      throw new Error(`uncaptured WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
    });
    return { device, navigatorGpu };
  })();
  return processGpu;
}

/**
 * Registers a beforeAll hook that gets the process's device (openProcessGpu); the returned
 * object's `device` is set once beforeAll has run. `setup` runs right after, still inside
 * beforeAll (compile pipelines there).
 */
export function useGpu(setup?: (device: GPUDevice) => Promise<void> | void): Gpu {
  const gpu = {} as Gpu;
  beforeAll(async () => {
    Object.assign(gpu, await openProcessGpu());
    await setup?.(gpu.device);
  });
  return gpu;
}

export interface KernelRig {
  device: GPUDevice;
  kernels: Kernels;
}

/**
 * useGpu plus the kernel families a test file needs, compiled (Kernels.create) in beforeAll.
 * (SwiftShader takes 0.1 to 2 s per pipeline, so each file compiles only its own.)
 */
export function useKernels(only: ShaderName[], headDim = 32): KernelRig {
  const rig = {} as KernelRig;
  useGpu(async (device) => {
    rig.device = device;
    rig.kernels = await Kernels.create(device, { headDim, only });
  });
  afterAll(() => rig.kernels?.destroy());
  return rig;
}

/**
 * Sets row batch slots (one per [rows, pos0] pair, slots 0, 1, ..), uploads them, runs `body` for
 * each batch in one compute pass and submits.
 */
export function runBatches(
  rig: KernelRig,
  blocks: [rows: number, pos0: number][],
  body: (pass: GPUComputePassEncoder, batch: RowBatch) => void,
): void {
  const set = blocks.map(([rows, pos0], slot) => rig.kernels.batches.set(slot, rows, pos0));
  rig.kernels.batches.upload();
  runPass(rig.device, (pass) => set.forEach((b) => body(pass, b)));
}

/** A storage buffer holding `data` (also COPY_SRC/COPY_DST, so it can be read back or rewritten). */
export function upload(device: GPUDevice, data: Float32Array | Uint32Array, label = 'test data'): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(data.byteLength / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** A zero-filled storage buffer of `count` 32-bit words. */
export function zeros(device: GPUDevice, count: number, label = 'test output'): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, count * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

/** Copies a buffer's bytes back to the CPU (after everything submitted so far). */
export async function readBack(device: GPUDevice, buffer: GPUBuffer): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

export async function readF32(device: GPUDevice, buffer: GPUBuffer): Promise<Float32Array> {
  return new Float32Array(await readBack(device, buffer));
}

export async function readU32(device: GPUDevice, buffer: GPUBuffer): Promise<Uint32Array> {
  return new Uint32Array(await readBack(device, buffer));
}

/** Encodes `body` in one compute pass and submits it. */
export function runPass(device: GPUDevice, body: (pass: GPUComputePassEncoder) => void): void {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  body(pass);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

/** Seeded PRNG (mulberry32): the same inputs on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` floats uniform in [-scale, scale). */
export function randomF32(random: () => number, count: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (random() * 2 - 1) * scale;
  return out;
}

/**
 * Largest |got - want| / bound over all elements, where bound[i] is the scale an error is
 * measured against (for a sum: the sum of the absolute values of its terms). A result
 * <= rtol passes a relative tolerance of rtol.
 */
export function worstError(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number> | number): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const b = typeof bound === 'number' ? bound : bound[i];
    const e = Math.abs(got[i] - want[i]) / Math.max(b, 1e-30);
    if (!(e <= worst)) worst = e; // NaN propagates as a failure
  }
  return worst;
}

/** Indices where two float arrays differ bit for bit (first few), for a readable failure. */
export function bitDifferences(a: Float32Array, b: Float32Array, limit = 5): string[] {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: string[] = [];
  if (a.length !== b.length) return [`length ${a.length} != ${b.length}`];
  for (let i = 0; i < ua.length && out.length < limit; i++) if (ua[i] !== ub[i]) out.push(`[${i}] ${a[i]} != ${b[i]}`);
  return out;
}
