/*
 * The architecture, enforced: core's layers and the order they import in (DESIGN.md, "Inside
 * core, dependencies run one way"), and no import cycle between any two source files of any
 * package. The layer order below is the one the README's architecture section draws; change
 * both together.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../../..');
const CORE = join(ROOT, 'packages/core/src');

/**
 * Core's layers, bottom first. A unit is a folder (every file below it, unless a deeper unit
 * names it) or a single file, relative to packages/core/src. A file may import its own unit and
 * any unit of a lower layer; never a unit of its own layer or of a higher one.
 */
export const CORE_LAYERS: readonly (readonly string[])[] = [
  ['errors.ts'],
  ['bytes.ts', 'text.ts', 'freeze.ts', 'limits.ts'],
  ['backend', 'cbor'],
  ['cose'],
  ['profile'],
  ['keys', 'replay'],
  ['policy/decision.ts', 'policy/strict-json.ts'],
  ['policy/distribution', 'policy/audit'],
  ['policy/evaluation'],
  ['policy/enforcement'],
  ['envelope'],
  // Entry points that gather several layers (a folder's own index.ts belongs to its folder; policy/
  // is several units, so its index.ts is an entry point; city-policy/ is the @ward/core/city-policy
  // entry, its generated bundle module included).
  ['index.ts', 'backend-kit.ts', 'wire.ts', 'errors-entry.ts', 'policy/index.ts', 'city-policy'],
];

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Relative imports of a source file, resolved to absolute .ts paths. */
export function importsOf(file: string, text: string = readFileSync(file, 'utf8')): string[] {
  const out: string[] = [];
  // Comments hold examples (`import … from` in TSDoc); they are not imports.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined || !spec.startsWith('.')) continue;
    out.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** The unit a core file belongs to: the longest unit path that contains it. */
export function unitOf(file: string, layers: readonly (readonly string[])[] = CORE_LAYERS): { unit: string; layer: number } | undefined {
  const rel = relative(CORE, file);
  let best: { unit: string; layer: number } | undefined;
  layers.forEach((units, layer) => {
    for (const unit of units) {
      const contains = unit.endsWith('.ts') ? rel === unit : rel.startsWith(`${unit}/`);
      if (contains && (best === undefined || unit.length > best.unit.length)) best = { unit, layer };
    }
  });
  return best;
}

/** Imports that go up or sideways in the layer order, as "from -> to" lines. */
export function layerViolations(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const problems: string[] = [];
  for (const [from, targets] of edges) {
    const a = unitOf(from);
    if (a === undefined) {
      problems.push(`${relative(CORE, from)} is in no layer`);
      continue;
    }
    for (const to of targets) {
      const b = unitOf(to);
      if (b === undefined || a.unit === b.unit) continue;
      if (b.layer >= a.layer) problems.push(`${relative(CORE, from)} (${a.unit}) -> ${relative(CORE, to)} (${b.unit})`);
    }
  }
  return problems;
}

/** Every cycle of the file graph, as a list of strongly connected components with more than one file (or a self-import). */
export function importCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's strongly connected components, iterative enough for a few hundred files.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component);
    }
  };
  for (const v of edges.keys()) if (!indices.has(v)) visit(v);
  return cycles;
}

function graphOf(files: readonly string[]): Map<string, string[]> {
  return new Map(files.map((f) => [f, importsOf(f)]));
}

describe('architecture', () => {
  it('no core file imports a unit of its own or a higher layer (DESIGN.md: dependencies run one way)', () => {
    expect(layerViolations(graphOf(sourceFiles(CORE)))).toEqual([]);
  });

  it('no import cycle between source files, in any package', () => {
    const files = readdirSync(join(ROOT, 'packages')).flatMap((p) => sourceFiles(join(ROOT, 'packages', p, 'src')));
    const cycles = importCycles(graphOf(files)).map((c) => c.map((f) => relative(ROOT, f)).sort());
    expect(cycles).toEqual([]);
  });

  it("the README's architecture diagram draws CORE_LAYERS, highest first", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Architecture'));
    const block = /```text\n([\s\S]*?)\n```/.exec(section)?.[1] ?? '';
    const drawn = block.split('\n').map((line) => line.split('|').map((unit) => unit.trim()));
    expect(drawn.reverse()).toEqual(CORE_LAYERS);
  });

  it('every relative import resolves to a source file', () => {
    const files = readdirSync(join(ROOT, 'packages')).flatMap((p) => sourceFiles(join(ROOT, 'packages', p, 'src')));
    const dangling = files.flatMap((f) => importsOf(f).filter((t) => !existsSync(t)).map((t) => `${relative(ROOT, f)} -> ${relative(ROOT, t)}`));
    expect(dangling).toEqual([]);
  });

  describe('the checks themselves', () => {
    const at = (p: string) => join(CORE, p);
    it('an upward import is a violation: cose importing envelope', () => {
      const edges = new Map([[at('cose/sign1.ts'), [at('envelope/seal.ts')]]]);
      expect(layerViolations(edges)).toEqual(['cose/sign1.ts (cose) -> envelope/seal.ts (envelope)']);
    });
    it('a sideways import is a violation: keys importing replay (same layer, other unit)', () => {
      const edges = new Map([[at('keys/keyset.ts'), [at('replay/replay-guard.ts')]]]);
      expect(layerViolations(edges)).toHaveLength(1);
    });
    it('a downward import and an import inside a unit are fine', () => {
      const edges = new Map([[at('envelope/seal.ts'), [at('cose/sign1.ts'), at('envelope/detached.ts'), at('errors.ts')]]]);
      expect(layerViolations(edges)).toEqual([]);
    });
    it('a file in no layer is reported', () => {
      expect(layerViolations(new Map([[at('misc/thing.ts'), []]]))).toEqual(['misc/thing.ts is in no layer']);
    });
    it('a two-file cycle and a self-import are cycles; a diamond is not', () => {
      expect(importCycles(new Map([['a', ['b']], ['b', ['a']]]))).toHaveLength(1);
      expect(importCycles(new Map([['a', ['a']]]))).toHaveLength(1);
      expect(importCycles(new Map([['a', ['b', 'c']], ['b', ['d']], ['c', ['d']], ['d', []]]))).toEqual([]);
    });
    it('import forms are all read: named, type-only, re-export, side-effect and dynamic', () => {
      const text = "/* import { z } from './z.js'; */\nimport { a } from './a.js';\nimport type { B } from '../b.js';\nexport { c } from './c.js';\nexport * from './d.js';\nimport './e.js';\nconst f = await import('./f.js');\n";
      const got = importsOf(at('cose/x.ts'), text).map((p) => relative(CORE, p));
      expect(got.sort()).toEqual(['b.ts', 'cose/a.ts', 'cose/c.ts', 'cose/d.ts', 'cose/e.ts', 'cose/f.ts']);
    });
  });
});
