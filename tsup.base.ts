/* The build every Ward package shares: ESM + CJS + .d.ts with source maps; each package names only what differs. */
import { defineConfig } from 'tsup';
import type { Options } from 'tsup';

export function wardPackage(options: Pick<Options, 'entry' | 'platform' | 'target' | 'splitting'>): ReturnType<typeof defineConfig> {
  return defineConfig({
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
    /* Sibling packages stay imports, never bundled copies (one WardError class per install). */
    external: [/^@ward\//],
    ...options,
  });
}
