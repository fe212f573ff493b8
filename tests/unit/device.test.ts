// src/gpu/device.ts without a GPU: acquireDevice against a fake `GPU` object, and the advice text.
import { describe, expect, it } from 'vitest';
import { acquireDevice, describeMissingWebGPU, WebGPUUnavailableError } from '../../src/gpu/device.ts';

interface FakeOptions {
  features?: string[];
  limits?: Record<string, number>;
  info?: Partial<GPUAdapterInfo>;
  noAdapter?: boolean;
  deviceFails?: boolean;
}

/** A GPU object whose adapter records the descriptor requestDevice was called with. */
function fakeGpu(o: FakeOptions = {}) {
  const calls: GPUDeviceDescriptor[] = [];
  const limits = { maxStorageBufferBindingSize: 134217728, maxBufferSize: 268435456, minUniformBufferOffsetAlignment: 256, ...o.limits };
  const adapter = {
    features: new Set(o.features ?? []),
    limits,
    info: { vendor: 'acme', architecture: 'rdna9', device: '', description: 'Acme GPU', isFallbackAdapter: false, ...o.info },
    async requestDevice(descriptor: GPUDeviceDescriptor) {
      calls.push(descriptor);
      if (o.deviceFails) throw new Error('out of luck');
      return {
        features: new Set(descriptor.requiredFeatures ?? []),
        limits: { ...limits, ...descriptor.requiredLimits },
        lost: new Promise(() => {}),
      };
    },
  };
  const gpu = { requestAdapter: async () => (o.noAdapter ? null : adapter) } as unknown as GPU;
  return { gpu, calls };
}

async function reasonOf(p: Promise<unknown>): Promise<WebGPUUnavailableError> {
  const e = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(WebGPUUnavailableError);
  return e as WebGPUUnavailableError;
}

describe('acquireDevice', () => {
  it("says 'no-webgpu' without a GPU object", async () => {
    expect((await reasonOf(acquireDevice({ gpu: undefined }))).reason).toBe('no-webgpu');
  });

  it("says 'no-adapter' when none is offered", async () => {
    expect((await reasonOf(acquireDevice({ gpu: fakeGpu({ noAdapter: true }).gpu }))).reason).toBe('no-adapter');
  });

  it("says 'device' when requestDevice fails", async () => {
    expect((await reasonOf(acquireDevice({ gpu: fakeGpu({ deviceFails: true }).gpu }))).reason).toBe('device');
  });

  it('requests only the optional features the adapter has, and reports them', async () => {
    const { gpu, calls } = fakeGpu({ features: ['timestamp-query', 'subgroups', 'texture-compression-bc'] });
    const got = await acquireDevice({ gpu });
    expect(calls[0].requiredFeatures).toEqual(['timestamp-query', 'subgroups']);
    expect(got.features).toEqual({ timestampQuery: true, shaderF16: false, subgroups: true });
    expect(got.adapterInfo).toEqual({
      vendor: 'acme',
      architecture: 'rdna9',
      device: '',
      description: 'Acme GPU',
      isFallbackAdapter: false,
    });
    expect(got.limits.maxStorageBufferBindingSize).toBe(134217728);
  });

  it('requests the limits asked for and names the one the adapter misses', async () => {
    const { gpu, calls } = fakeGpu();
    await acquireDevice({ gpu, requiredLimits: { maxStorageBufferBindingSize: 1 << 20, minUniformBufferOffsetAlignment: 256 } });
    expect(calls[0].requiredLimits).toEqual({ maxStorageBufferBindingSize: 1 << 20, minUniformBufferOffsetAlignment: 256 });

    const e = await reasonOf(acquireDevice({ gpu, requiredLimits: { maxStorageBufferBindingSize: 1 << 30 } }));
    expect(e.reason).toBe('limits');
    expect(e.limit).toEqual({ name: 'maxStorageBufferBindingSize', adapter: 134217728, needed: 1 << 30 });
    expect(e.message).toContain('maxStorageBufferBindingSize');

    // Alignments: smaller is better, so the needed value is a maximum.
    const a = await reasonOf(acquireDevice({ gpu, requiredLimits: { minUniformBufferOffsetAlignment: 64 } }));
    expect(a.limit).toEqual({ name: 'minUniformBufferOffsetAlignment', adapter: 256, needed: 64 });
  });
});

describe('describeMissingWebGPU', () => {
  const linuxChrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
  const winEdge =
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0';
  const oldChrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Safari/537.36';
  const linuxFirefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
  const oldWinFirefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
  const oldSafari = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15';

  it('gives Chromium on Linux the flag', () => {
    const a = describeMissingWebGPU(linuxChrome);
    expect(a.browser).toBe('Chrome 156 on Linux');
    expect(a.lines.join(' ')).toContain('--enable-unsafe-webgpu');
    expect(a.lines.join(' ')).toContain('chrome://flags');
  });

  it('tells old browsers which version has WebGPU', () => {
    expect(describeMissingWebGPU(oldChrome).lines[0]).toContain('113');
    expect(describeMissingWebGPU(oldWinFirefox).lines[0]).toContain('141');
    expect(describeMissingWebGPU(oldSafari).lines[0]).toContain('Safari 26');
  });

  it('recognises Edge and Firefox', () => {
    expect(describeMissingWebGPU(winEdge).browser).toBe('Edge 130 on Windows');
    expect(describeMissingWebGPU(linuxFirefox).lines[0]).toContain('Windows');
  });

  it('mentions secure contexts when the page is not one', () => {
    expect(describeMissingWebGPU(linuxChrome, { secureContext: false }).lines[0]).toContain('https');
  });

  it('falls back to a general line for unknown browsers', () => {
    const a = describeMissingWebGPU('');
    expect(a.browser).toBe('your browser');
    expect(a.lines).toHaveLength(1);
  });
});
