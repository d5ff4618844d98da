import { defineConfig } from 'vite'

// The e2e download service worker (src/e2e/sw.ts): one classic script at the build's root, so its
// scope is the app's base path. Built after the app, into the same dist/ (not emptied).
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2020',
    copyPublicDir: false,
    sourcemap: false,
    lib: {
      entry: 'src/e2e/sw.ts',
      formats: ['iife'],
      name: 'psiE2ESw',
      fileName: () => 'e2e-sw.js',
    },
  },
})
