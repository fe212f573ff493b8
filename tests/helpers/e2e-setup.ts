// The e2e project's global setup (vitest.config.ts): one dev server (no hot updates, as
// startDevServer serves by default) and one headless Chromium with WebGPU, started once before the
// first e2e file and closed after the last, for the files to share (tests/helpers/rig.ts). Each test
// still opens its own page in a context of its own. A file whose point needs another browser or
// server starts its own: the kiosk's (--expose-gc), a browser without WebGPU, hot reload's watching
// dev server, the built site's preview server.
import { chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_BASE_FLAGS, CHROMIUM_PATH, CHROMIUM_WEBGPU_FLAGS, startDevServer } from '../../scripts/browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared dev server's address, e.g. http://127.0.0.1:40123/ */
    devServerUrl: string;
    /** The shared Chromium's Playwright endpoint, for chromium.connect. */
    chromiumEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startDevServer();
  const browser = await chromium
    .launchServer({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_BASE_FLAGS, ...CHROMIUM_WEBGPU_FLAGS],
      timeout: 60_000,
    })
    .catch(async (e: unknown) => {
      await server.close();
      throw e;
    });
  project.provide('devServerUrl', server.url);
  project.provide('chromiumEndpoint', browser.wsEndpoint());
  return async () => {
    await browser.close();
    await server.close();
  };
}
