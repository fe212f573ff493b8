import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

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

const UNIT = ['tests/unit/**/*.test.ts'];
/**
 * The unit files that take from several seconds to most of a minute each (the others a second or
 * two; docs/journal.md has the figures): they spawn the tools, npm or Chromium, or decode the real
 * models thousands of times. Left out of `npm run test:quick`.
 */
const SLOW_UNIT = ['cli', 'tools-signals', 'tools-faults', 'decode-run-sampling', 'decode-run-tree'].map(
  (name) => `tests/unit/${name}.test.ts`,
);
/**
 * At least two (Vitest's default, one less than the cores, is one on a 2-core machine): the slow
 * files spend much of their time waiting on the tools and browsers they spawn, time the other
 * worker's files use.
 */
const UNIT_WORKERS = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: UNIT, maxWorkers: UNIT_WORKERS, testTimeout: 60_000 } },
      // `npm run test:quick`: the unit files less SLOW_UNIT (`npm test` runs them all, in `unit`).
      {
        test: {
          name: 'quick',
          include: UNIT,
          exclude: [...configDefaults.exclude, ...SLOW_UNIT],
          maxWorkers: UNIT_WORKERS,
          testTimeout: 60_000,
        },
      },
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
          // Two processes, each running its share of the files on one device (tests/helpers/dawn.ts,
          // useGpu), so that each pipeline is compiled once a process rather than once a file.
          maxWorkers: 2,
          isolate: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          // One dev server and one Chromium for the files that need no other (tests/helpers/rig.ts).
          globalSetup: ['tests/helpers/e2e-setup.ts'],
          pool: 'forks',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
