// Builds the web app into web/dist, which the API serves at / (src/http/web-app.ts).
// `npm run dev:web` runs the dev server against a running API: set VITE_API_URL
// (e.g. http://127.0.0.1:4000) when the API is not on the page's own origin.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  envPrefix: 'VITE_',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names under assets/: the server caches them for a year.
    assetsDir: 'assets',
    target: 'es2022',
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 5173 },
});
