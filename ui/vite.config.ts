/** Builds the web UI into dist/, served by the audit service at /ui/. */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The audit service's Content-Security-Policy allows no inline scripts or styles.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
  server: {
    // `npm run dev -w @driftless/ui`: API calls go to a local audit service.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
