import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Starts Azurite (installing it, and the Node it needs, on first use); see scripts/azurite.mjs.
    globalSetup: ['src/test-support/global-setup.ts'],
    testTimeout: 60_000,
    // memory.test.ts collects garbage before it measures what the store holds on to.
    execArgv: ['--expose-gc'],
    hookTimeout: 120_000,
  },
})
