import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript source in tests (the `@ward/source`
  // export condition); vitest's node environment takes conditions from `ssr.resolve`.
  resolve: {
    conditions: ['@ward/source'],
  },
  ssr: {
    resolve: {
      conditions: ['@ward/source'],
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts'],
    // fails the run if a test leaves new files in the source tree
    globalSetup: ['./scripts/source-tree-guard.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
