/*
 * Every source file says what it holds (issue 12 item 5): each non-test .ts file under
 * packages/*\/src opens with a comment block (`/*` or `/**`) of at least one sentence, before
 * its first import or line of code.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../../..');
const PACKAGES = join(ROOT, 'packages');

/** Every non-test .ts source file of every package, sorted. */
function sourceFiles(): string[] {
  const files: string[] = [];
  for (const pkg of readdirSync(PACKAGES, { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    const src = join(PACKAGES, pkg.name, 'src');
    let entries;
    try {
      entries = readdirSync(src, { withFileTypes: true, recursive: true });
    } catch {
      continue; // a package without src/
    }
    for (const e of entries) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) files.push(join(e.parentPath, e.name));
    }
  }
  return files.sort();
}

/**
 * Why `text` does not open with a header paragraph, or `undefined` when it does: the first
 * non-blank characters open a block comment, and its text holds a sentence (three words or more
 * and a full stop, colon, question or exclamation mark).
 */
export function headerProblem(text: string): string | undefined {
  const body = text.replace(/^\uFEFF/, '').replace(/^#!.*\n/, '').trimStart();
  if (!body.startsWith('/*')) return 'does not open with a /* or /** comment block';
  const end = body.indexOf('*/');
  if (end < 0) return 'its opening comment is not closed';
  const words = body
    .slice(2, end)
    .split('\n')
    .map((line) => line.replace(/^\s*\*?/, '').trim())
    .join(' ')
    .trim();
  if (words.split(/\s+/).filter((w) => /\w/.test(w)).length < 3 || !/[.:!?](\s|$)/.test(words)) {
    return 'its opening comment is not a sentence';
  }
  return undefined;
}

describe('file headers', () => {
  it('headerProblem accepts a paragraph and refuses code, a line comment or a label', () => {
    expect(headerProblem('/* Byte helpers shared across core. */\nexport const x = 1;')).toBeUndefined();
    expect(headerProblem('/**\n * `@ward/x`: what it holds.\n *\n * @module\n */\n')).toBeUndefined();
    expect(headerProblem('import { x } from "./x.js";\n/* Later. */')).toMatch(/does not open/);
    expect(headerProblem('// Byte helpers shared across core.\n')).toMatch(/does not open/);
    expect(headerProblem('/* TODO */\nexport {};')).toMatch(/not a sentence/);
  });

  it('every non-test source file opens with a comment block saying what it holds', () => {
    const files = sourceFiles();
    const problems = files
      .map((file) => ({ file: relative(ROOT, file), problem: headerProblem(readFileSync(file, 'utf8')) }))
      .filter((p) => p.problem !== undefined)
      .map((p) => `${p.file}: ${p.problem}`);
    console.log(`file headers: ${files.length} source files checked, ${problems.length} without a header`);
    expect(files.length).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });
});
