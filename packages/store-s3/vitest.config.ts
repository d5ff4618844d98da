import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Starts (or finds) the S3 server the tests run against; see src/test-support/global-setup.ts.
    globalSetup: ['src/test-support/global-setup.ts'],
    // Before each file: the gateway is still alive, or restarted (src/test-support/alive.ts).
    setupFiles: ['src/test-support/alive.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
