import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    // The CLI and browser tests run dist/: built once here, before every test file.
    globalSetup: ['src/test-support/build.ts'],
  },
})
