// Browser rig, shared by the e2e tests and scripts/bench-browser.ts: the Vite dev server, started
// in-process on a free port, and Debian's headless Chromium driven by playwright-core (Playwright's
// own browser download is not used).
//
// On a machine without a GPU, Chromium's WebGPU runs on SwiftShader (a CPU Vulkan driver that the
// chromium package ships in /usr/lib/chromium). See CHROMIUM_WEBGPU_FLAGS for what that takes.
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Debian's chromium; override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Quiet, self-contained Chromium: no sandbox (tests run as root), no network chatter, no first-run UI,
 * shared memory in /tmp (containers often have a tiny /dev/shm; Debian's launcher script means to add
 * this flag itself but its check fails where findmnt reports more than one line).
 */
export const CHROMIUM_BASE_FLAGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * WebGPU in headless Chromium on Linux. Chromium exposes navigator.gpu on Linux but offers no
 * adapter unless --enable-unsafe-webgpu is given; with it, and no GPU, the adapter is SwiftShader
 * (vendor 'google', architecture 'swiftshader', isFallbackAdapter true). Tried with Chromium 156:
 * --enable-features=Vulkan and --use-angle=swiftshader change nothing for WebGPU and are not needed.
 */
export const CHROMIUM_WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

export interface DevServer {
  /** Base URL, e.g. http://127.0.0.1:40123/ */
  url: string;
  server: ViteDevServer;
  close(): Promise<void>;
}

export interface DevServerOptions {
  /**
   * Watch the files and push updates to the page, as `npm run dev` does (default false: the tests
   * serve a fixed tree, and a file saved mid-test must not reload their pages).
   */
  hmr?: boolean;
}

/** Starts the project's Vite dev server (vite.config.ts) on 127.0.0.1 and a free port. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const server = await createServer({
    root: ROOT,
    configFile: `${ROOT}vite.config.ts`,
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: true, ...(options.hmr ? {} : { hmr: false, watch: null }) },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') {
    await server.close();
    throw new Error(`Vite dev server has no TCP address (${String(address)})`);
  }
  return {
    url: `http://127.0.0.1:${address.port}/`,
    server,
    close: () => server.close(),
  };
}

export interface LaunchChromiumOptions {
  /** Add the flags that give WebGPU (default true). False gives a browser without WebGPU. */
  webgpu?: boolean;
  /** More command-line flags. */
  args?: string[];
  /** Passed through to playwright's launch (headless, timeout, env, ...). */
  launch?: LaunchOptions;
}

/** Launches headless Chromium (a fresh profile each time: playwright makes a temporary user-data-dir). */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const args = [...CHROMIUM_BASE_FLAGS, ...(options.webgpu === false ? [] : CHROMIUM_WEBGPU_FLAGS), ...(options.args ?? [])];
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    timeout: 60_000,
    ...options.launch,
  });
}
