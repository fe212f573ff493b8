import { defineConfig } from 'vite';

// The page is plain Vite: shaders are imported with `?raw`, weights are static files in public/.
export default defineConfig({
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { target: 'es2022' },
});
