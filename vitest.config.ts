import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Decorator metadata is what type-graphql and MikroORM read; esbuild would drop it.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  // One graphql module for everyone, or graphql-js refuses schemas "from another realm".
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['src/**/*.test.ts', 'consumers/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    setupFiles: ['reflect-metadata'],
    // test/process starts the compiled entry point: compile once per run.
    globalSetup: ['test/support/build-once.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
