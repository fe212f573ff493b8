// Shared by the e2e files: the dev server and the headless Chromium with WebGPU that the e2e
// project's global setup started for all of them (tests/helpers/e2e-setup.ts), connected to before
// the file's first test and let go after its last. With `hmr`, the file gets a dev server of its
// own that watches the files and pushes updates to the page (hot reload's tests), in the same browser.
import { afterAll, beforeAll, inject } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startDevServer, type DevServer } from '../../scripts/browser.ts';

export interface Rig {
  /** The server's base URL, e.g. http://127.0.0.1:40123/ */
  readonly server: { readonly url: string };
  readonly browser: Browser;
}

/** The shared Chromium with WebGPU, for this file (each test opens its own page, in its own context). */
export function useChromium(): { readonly browser: Browser } {
  const rig = {} as { browser: Browser };
  beforeAll(async () => {
    rig.browser = await chromium.connect(inject('chromiumEndpoint'), { timeout: 60_000 });
  });
  afterAll(async () => {
    // A connected browser only disconnects (closing the contexts this file opened): the others go on using it.
    await rig.browser?.close();
  });
  return rig;
}

/** The shared Chromium and the shared dev server, or with `hmr` a dev server of this file's own with Vite's hot updates. */
export function useServerAndChromium(options: { hmr?: boolean } = {}): Rig {
  const chromium = useChromium();
  const rig = {
    get browser() {
      return chromium.browser;
    },
  } as { server: { url: string }; readonly browser: Browser };
  let own: DevServer | undefined;
  beforeAll(async () => {
    if (options.hmr) own = await startDevServer({ hmr: true });
    rig.server = own ?? { url: inject('devServerUrl') };
  });
  afterAll(async () => {
    await own?.close();
  });
  return rig;
}
