import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The browser UI: built by `npm run build` into dist/web, which the server serves at `/`.
// `npm run dev:web` serves it with hot reload and sends the API and Socket.IO to a Fieldline on :8080.
const target = 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: {
      '/api': target,
      '/health': target,
      '/socket.io': { target, ws: true },
    },
  },
});
