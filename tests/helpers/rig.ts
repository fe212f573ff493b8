// Shared by the e2e files that need one dev server and one headless Chromium for the whole file:
// started before the first test, closed after the last.
import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, startDevServer, type DevServer } from '../../scripts/browser.ts';

export interface Rig {
  readonly server: DevServer;
  readonly browser: Browser;
}

/** A dev server (with Vite's hot updates when `hmr`) and a Chromium with WebGPU, for this file. */
export function useServerAndChromium(options: { hmr?: boolean } = {}): Rig {
  const rig = {} as { server: DevServer; browser: Browser };
  beforeAll(async () => {
    rig.server = await startDevServer({ hmr: options.hmr });
    rig.browser = await launchChromium({ webgpu: true });
  });
  afterAll(async () => {
    await rig.browser?.close();
    await rig.server?.close();
  });
  return rig;
}
