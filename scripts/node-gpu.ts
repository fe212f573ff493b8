// A WebGPU device in Node through Dawn (the `webgpu` package), for the command-line tools: the GPU
// where the machine has one, else Chromium's SwiftShader (a CPU Vulkan driver), as the tests use.
import { existsSync } from 'node:fs';
import { acquireDevice } from '../src/gpu/device.ts';

export async function openNodeGpu() {
  const hasGpu = ['/dev/nvidia0', '/dev/dri/renderD128'].some(existsSync);
  // Set VK_ICD_FILENAMES yourself to pick another driver.
  if (!hasGpu && process.env.VK_ICD_FILENAMES === undefined) process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  // Dawn's GPU object must stay referenced while the device lives (if it is collected, Dawn
  // crashes): it is returned for the caller to hold.
  const navigatorGpu = create([]);
  const { device, name } = await acquireDevice({ gpu: navigatorGpu });
  return { navigatorGpu, device, adapterName: name };
}
