import { defineConfig } from 'vitest/config'

// Browser tests against a real server: one file at a time (each starts its own server and Chromium).
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
