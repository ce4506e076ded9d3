import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts the real RabbitMQ and Elasticsearch (or reuses running ones) once for the whole run.
    globalSetup: ['test/support/global-setup.ts'],
    // Each test file runs in its own process: chDB allows one data directory per process.
    pool: 'forks',
    isolate: true,
    // Two cores: integration files share one broker and one Elasticsearch node.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
})
