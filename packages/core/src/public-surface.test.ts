/*
 * The public surface, kept small and named (issue 12 item 4, STYLE.md "A small root"): the root
 * of @ward/core holds at most 45 runtime names, every subpath of package.json `exports` loads
 * from its source and is built by tsup and documented by typedoc, no runtime name means two
 * different things in two subpaths, and @ward/node, @ward/browser and @ward/device re-export
 * the core root (never a subpath) plus their own names.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../../..');
const CORE = join(ROOT, 'packages/core');
const MAX_ROOT_RUNTIME_NAMES = 45;

interface ExportEntry { readonly '@ward/source': string; readonly types: string; readonly import: string; readonly require: string }
const manifest = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as { exports: Record<string, ExportEntry | string> };
const subpaths = Object.entries(manifest.exports).filter((e): e is [string, ExportEntry] => typeof e[1] !== 'string');

async function load(source: string): Promise<Record<string, unknown>> {
  return (await import(/* @vite-ignore */ join(CORE, source))) as Record<string, unknown>;
}

describe('public surface', () => {
  it(`the root exports at most ${MAX_ROOT_RUNTIME_NAMES} runtime names`, async () => {
    const names = Object.keys(await import('./index.js')).sort();
    console.log(`@ward/core root: ${names.length} runtime names (at most ${MAX_ROOT_RUNTIME_NAMES}): ${names.join(', ')}`);
    expect(names.length).toBeLessThanOrEqual(MAX_ROOT_RUNTIME_NAMES);
  });

  it('every subpath of package.json exports resolves from its source, with the same shape as the root', async () => {
    expect(subpaths.map(([path]) => path)).toEqual(
      expect.arrayContaining(['.', './cose', './cbor', './keys', './policy', './replay', './errors', './wire', './backend-kit']),
    );
    for (const [path, entry] of subpaths) {
      const out = path === '.' ? 'index' : path.slice(2);
      expect(entry, path).toEqual({
        '@ward/source': expect.stringMatching(/^\.\/src\/.+\.ts$/) as unknown,
        types: `./dist/${out}.d.ts`,
        import: `./dist/${out}.js`,
        require: `./dist/${out}.cjs`,
      });
      const mod = await load(entry['@ward/source']);
      expect(Object.keys(mod).length, `${path} exports runtime names`).toBeGreaterThan(0);
    }
  });

  it('tsup builds and typedoc documents every subpath', () => {
    const tsup = readFileSync(join(CORE, 'tsup.config.ts'), 'utf8');
    const typedoc = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
    for (const [path, entry] of subpaths) {
      const out = path === '.' ? 'index' : path.slice(2);
      const source = entry['@ward/source'].replace(/^\.\//, '');
      expect(tsup, `tsup entry for ${path}`).toMatch(new RegExp(`['"]?${out}['"]?: '${source}'`));
      expect(typedoc.entryPoints, `typedoc entry for ${path}`).toContain(`packages/core/${source}`);
    }
  });

  it('no runtime name is exported from two subpaths with different identities', async () => {
    const seen = new Map<string, { path: string; value: unknown }>();
    const clashes: string[] = [];
    for (const [path, entry] of subpaths) {
      for (const [name, value] of Object.entries(await load(entry['@ward/source']))) {
        const first = seen.get(name);
        if (first === undefined) seen.set(name, { path, value });
        else if (first.value !== value) clashes.push(`${name}: ${first.path} and ${path}`);
      }
    }
    expect(clashes).toEqual([]);
  });

  describe('@ward/node, @ward/browser and @ward/device re-export the core root, never a subpath', () => {
    it.each(['node', 'browser', 'device'])('@ward/%s', async (name) => {
      const source = readFileSync(join(ROOT, 'packages', name, 'src/index.ts'), 'utf8');
      expect(source).toContain("export * from '@ward/core';");
      expect(source).not.toMatch(/from '@ward\/core\/[^']+'/);
      const platform = (await import(/* @vite-ignore */ join(ROOT, 'packages', name, 'src/index.ts'))) as Record<string, unknown>;
      const core = await import('./index.js');
      for (const [key, value] of Object.entries(core)) expect(platform[key], `${name} re-exports ${key}`).toBe(value);
    });
  });
});
