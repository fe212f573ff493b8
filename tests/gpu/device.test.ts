// acquireDevice on real WebGPU: Dawn in Node (SwiftShader when there is no GPU).
// The device is acquired in beforeAll, never in a test body (see tests/helpers/dawn.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { acquireDevice, WebGPUUnavailableError, type AcquiredDevice } from '../../src/gpu/device.ts';

let got: AcquiredDevice;
let tooBig: unknown;
// Dawn's GPU object must stay referenced while its devices live (collected, it crashes Dawn).
let gpu: GPU;

beforeAll(async () => {
  Object.assign(globalThis, globals);
  gpu = create([]);
  got = await acquireDevice({ gpu, requiredLimits: { maxStorageBufferBindingSize: 16 << 20 } });
  tooBig = await acquireDevice({ gpu, requiredLimits: { maxComputeWorkgroupStorageSize: 2 ** 31 } }).catch((e: unknown) => e);
});

afterAll(() => got?.device.destroy());

describe('acquireDevice on Dawn', () => {
  it('gets a device with the requested limits and reports the adapter', () => {
    expect(got.adapterInfo.vendor || got.adapterInfo.description).toBeTruthy();
    expect(got.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(16 << 20);
    expect(got.device.limits.maxStorageBufferBindingSize).toBe(got.limits.maxStorageBufferBindingSize);
    // Reported features are exactly the optional ones the adapter has.
    expect(got.features.timestampQuery).toBe(got.adapter.features.has('timestamp-query'));
    expect(got.features.shaderF16).toBe(got.adapter.features.has('shader-f16'));
    expect(got.features.subgroups).toBe(got.adapter.features.has('subgroups'));
  });

  it('names a limit the adapter cannot meet', () => {
    expect(tooBig).toBeInstanceOf(WebGPUUnavailableError);
    const e = tooBig as WebGPUUnavailableError;
    expect(e.reason).toBe('limits');
    expect(e.limit?.name).toBe('maxComputeWorkgroupStorageSize');
    expect(e.limit?.adapter).toBe(got.adapter.limits.maxComputeWorkgroupStorageSize);
  });
});
