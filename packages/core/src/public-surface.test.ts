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

interface Conditional { readonly types: string; readonly default: string }
interface ExportEntry { readonly '@ward/source': string; readonly import: Conditional; readonly require: Conditional }
const manifest = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as {
  exports: Record<string, ExportEntry | string>;
  typesVersions: Record<string, Record<string, string[]>>;
};
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
      // ESM consumers get the .d.ts, CommonJS consumers the .d.cts (TS1479 otherwise); the
      // source condition comes first so the workspace never resolves into dist.
      expect(entry, path).toEqual({
        '@ward/source': expect.stringMatching(/^\.\/src\/.+\.ts$/) as unknown,
        import: { types: `./dist/${out}.d.ts`, default: `./dist/${out}.js` },
        require: { types: `./dist/${out}.d.cts`, default: `./dist/${out}.cjs` },
      });
      expect(Object.keys(entry)[0], path).toBe('@ward/source');
      // moduleResolution node10 ignores `exports`: typesVersions maps each subpath to its types.
      if (path !== '.') expect(manifest.typesVersions['*']?.[path.slice(2)], `typesVersions for ${path}`).toEqual([`dist/${out}.d.cts`]);
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
