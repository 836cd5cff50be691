import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    conditions: ['@ward/source'],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
