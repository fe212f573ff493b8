import { defineConfig } from 'vitest/config';

// Dawn (the `webgpu` package) on a machine without a GPU: Chromium's SwiftShader Vulkan
// driver. Set VK_ICD_FILENAMES yourself (or to an empty string) to use a real GPU.
// Chromium also ships the Vulkan loader (libvulkan.so.1) that Dawn dlopens; Debian's libvulkan1 is
// not always installed, so the SwiftShader setup puts Chromium's directory on the library path too.
const chromiumLibs = '/usr/lib/chromium';
const swiftshader = `${chromiumLibs}/vk_swiftshader_icd.json`;
const gpuEnv: Record<string, string> =
  process.env.VK_ICD_FILENAMES === undefined
    ? {
        VK_ICD_FILENAMES: swiftshader,
        LD_LIBRARY_PATH: [process.env.LD_LIBRARY_PATH, chromiumLibs].filter(Boolean).join(':'),
      }
    : {};

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], testTimeout: 60_000 } },
      {
        // Dawn must be created outside test bodies and outside worker threads: requesting the adapter
        // in a test body under worker threads crashed it ("Cannot create a handle without a HandleScope").
        test: {
          name: 'gpu',
          include: ['tests/gpu/**/*.test.ts'],
          pool: 'forks',
          env: gpuEnv,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
