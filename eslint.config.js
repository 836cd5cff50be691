// @ts-check
import tseslint from 'typescript-eslint';

/*
 * Platform hygiene for @ward/core (STYLE.md, convention 1): core runs in every JS runtime, so
 * its shipped source may not import Node built-ins or reach platform globals other than
 * crypto.getRandomValues, TextEncoder/TextDecoder and WebAssembly. The compiler enforces the
 * same from the other side: packages/core/tsconfig.json has no DOM or Node types.
 */
const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http',
  'http2', 'https', 'module', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls',
  'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];
const PLATFORM_GLOBALS = [
  'process', 'Buffer', 'global', 'window', 'self', 'document', 'navigator', 'location', 'require', 'module',
  '__dirname', '__filename', 'setImmediate', 'fetch', 'XMLHttpRequest', 'WebSocket', 'localStorage',
  'sessionStorage', 'indexedDB', 'performance', 'Deno', 'Bun',
].map((name) => ({ name, message: '@ward/core is platform-free: take this from a platform package or an injected dependency.' }));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs-site/**', 'bench/results/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['node:*'], message: '@ward/core may not import Node built-ins.' }],
        paths: NODE_BUILTINS.map((name) => ({ name, message: '@ward/core may not import Node built-ins.' })),
      }],
      'no-restricted-globals': ['error', ...PLATFORM_GLOBALS],
      'no-restricted-properties': ['error',
        { object: 'crypto', property: 'subtle', message: 'WebCrypto belongs in @ward/browser; core uses only crypto.getRandomValues.' },
        { object: 'crypto', property: 'randomUUID', message: 'core uses only crypto.getRandomValues.' },
        { object: 'globalThis', message: 'reach no platform globals through globalThis in @ward/core.' },
      ],
    },
  },
);
