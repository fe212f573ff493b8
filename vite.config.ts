import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const page = (file: string) => fileURLToPath(new URL(file, import.meta.url));

// The page is plain Vite: shaders are imported with `?raw`, weights are static files in public/.
// Two pages: the demo (index.html) and the benchmark (bench.html, see src/bench/bench-page.ts).
export default defineConfig({
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build: {
    target: 'es2022',
    rolldownOptions: {
      input: {
        main: page('index.html'),
        bench: page('bench.html'),
      },
    },
  },
});
