import { defineConfig } from 'vite'

// The API lives on a running apps/server during development (`pnpm dev` in apps/server).
const target = process.env.PSI_DEV_SERVER ?? 'http://127.0.0.1:3000'
const api = { target, changeOrigin: true }

export default defineConfig({
  // Relative asset URLs: the same build works under any baseUrl (see README "Base URL").
  base: './',
  // JSX through Vite 8's built-in oxc transform: no babel, no React.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    target: 'es2020',
    manifest: true,
    sourcemap: false,
    // Budget is checked by scripts/check-budget.mjs on the gzip size; this only silences the default.
    chunkSizeWarningLimit: 150,
  },
  server: {
    proxy: {
      '^/config\\.json': api,
      '^/lang\\.json': api,
      '^/files(/|$)': api,
      '^/(api/)?admin/(data\\.json|files|buckets)': api,
      '^/[A-Za-z0-9][A-Za-z0-9_-]{0,63}\\.json': api,
      '^/healthz': api,
    },
  },
})
