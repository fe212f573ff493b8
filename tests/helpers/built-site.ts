// The site as `npm run build -- --base BASE` makes it, built into a temporary folder and served by
// Vite's preview server (any static server would do) under BASE, for the e2e tests of hosting.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { preview } from 'vite';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BuiltSite {
  /** The site's address, ending in BASE: e.g. http://127.0.0.1:40123/mtp-demo/ */
  url: string;
  close(): Promise<void>;
}

/** Builds the site for `base` (a path such as '/mtp-demo/') and serves it on 127.0.0.1 and a free port. */
export async function startBuiltSite(base: string): Promise<BuiltSite> {
  const outDir = mkdtempSync(join(tmpdir(), 'mtp-site-'));
  // Built as `npm run build` does, in its own process: under Vitest NODE_ENV is 'test', which
  // would make Vite build the development variant (no service worker, Lit in dev mode).
  await promisify(execFile)(
    `${ROOT}node_modules/.bin/vite`,
    ['build', '--base', base, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  const config = { root: ROOT, configFile: `${ROOT}vite.config.ts`, base, logLevel: 'warn' as const };
  const server = await preview({ ...config, build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: true } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error(`Vite preview server has no TCP address (${String(address)})`);
  return {
    url: `http://127.0.0.1:${address.port}${base}`,
    close: async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
