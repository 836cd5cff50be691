/*
 * The README's code examples run as written, so the front page cannot drift from the API.
 * Every ```ts block of README.md (and of docs/index.md, the API site's front page) is copied to a temporary module, type-checked (strict, the
 * examples' tsconfig) and imported. A line that calls `console.log` ends with a comment that
 * shows what it prints (`console.log(x); // 42`); the lines printed must be exactly those, in
 * order, so an example prints what it shows and shows everything it prints.
 *
 * A block that is not a whole program says so in its first line, `// README: continues`, and
 * runs after the block before it, as one module. (No block needs it today.)
 *
 * The modules live in a directory under the OS temp dir, never in the source tree; a
 * `node_modules` link in it to the repository's lets their `@ward/*` imports resolve (to the
 * TypeScript sources, through the `@ward/source` export condition).
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, test, vi } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ward-readme-'));
symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'junction');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const CONTINUES = '// README: continues';

interface Example { heading: string; line: number; code: string }
interface Located extends Example { source: string }

/** Every ```ts block of the README, with the heading above it and its line number. */
function examples(markdown: string): Example[] {
  const found: Example[] = [];
  const lines = markdown.split('\n');
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const fence = /^```(\S*)/.exec(line);
    if (fence === null) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README line ${i + 1}: unclosed code block`);
    if (fence[1] === 'typescript' || fence[1] === 'js' || fence[1] === 'javascript') {
      throw new Error(`README line ${i + 1}: write code examples as \`\`\`ts so this test runs them`);
    }
    if (fence[1] === 'ts') {
      const code = lines.slice(i + 1, end).join('\n');
      const previous = found.at(-1);
      if (code.startsWith(CONTINUES)) {
        if (previous === undefined) throw new Error(`README line ${i + 1}: "${CONTINUES}" with no block before it`);
        found.push({ heading, line: i + 2, code: `${previous.code}\n${code}` });
      } else {
        found.push({ heading, line: i + 2, code });
      }
    }
    i = end;
  }
  return found;
}

/** What the example shows it prints: the comment after each `console.log(…)` line, in order. */
function shownOutput(code: string): string[] {
  const shown: string[] = [];
  code.split('\n').forEach((line, index) => {
    if (!line.includes('console.log(')) return;
    const comment = /\/\/ (.+)$/.exec(line);
    if (comment === null) throw new Error(`line ${index + 1} of the example logs without showing what: ${line.trim()}`);
    shown.push(comment[1]!.trim());
  });
  return shown;
}

// The README, and the API site's index page (its quick start is the README's first example, shortened).
const sources = ['README.md', 'docs/index.md'];
const blocks: Located[] = sources.flatMap((source) =>
  examples(readFileSync(join(root, source), 'utf8')).map((block) => ({ ...block, source })));
const files = blocks.map((block, index) => join(scratch, `example-${index + 1}-${block.source.replace(/\W+/g, '-')}-line-${block.line}.ts`));
blocks.forEach((block, index) => writeFileSync(files[index]!, `${block.code}\nexport {};\n`));

/** Type errors of every example at once (one program: the package sources are checked once). */
function typeErrors(): Map<string, string[]> {
  const config = ts.readConfigFile(join(root, 'examples/tsconfig.json'), ts.sys.readFile.bind(ts.sys));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, join(root, 'examples'));
  // an example may name a result it does not use (`const { plaintext, facts } = …`)
  const options = { ...parsed.options, noUnusedLocals: false, noUnusedParameters: false };
  const program = ts.createProgram(files, options);
  const errors = new Map<string, string[]>();
  for (const file of files) {
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
    errors.set(file, diagnostics.map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    }));
  }
  return errors;
}

describe('README examples run as written', () => {
  test('the README has its examples, and every one shows what it prints', () => {
    expect(blocks.filter((b) => b.source === 'README.md').length).toBeGreaterThanOrEqual(5);
    expect(blocks.filter((b) => b.source === 'docs/index.md').length).toBeGreaterThanOrEqual(1);
    console.log(`${blocks.length} ts examples: ${blocks.map((b) => `${b.source}:${b.line}`).join(', ')}`);
    for (const block of blocks) expect(shownOutput(block.code).length, `example at ${block.source}:${block.line}`).toBeGreaterThan(0);
  });

  test('every example type-checks (strict)', () => {
    const errors = typeErrors();
    const failing = [...errors].filter(([, list]) => list.length > 0);
    expect(failing.map(([file, list]) => `${file}\n  ${list.join('\n  ')}`)).toEqual([]);
  });

  test.each(blocks.map((block, index) => [`${block.heading} (${block.source}:${block.line})`, index] as const))('%s', async (_name, index) => {
    const logged: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(format(...args)));
    try {
      await import(files[index]!);
    } finally {
      log.mockRestore();
    }
    expect(logged).toEqual(shownOutput(blocks[index]!.code));
  });
});

describe('the README example reader', () => {
  test('finds ts blocks under their headings, joins a continued block, refuses other code fences', () => {
    const md = '# A\n```ts\nconst a = 1;\n```\n## B\n```sh\nls\n```\n```ts\n// README: continues\nconsole.log(a); // 1\n```\n';
    expect(examples(md)).toEqual([
      { heading: 'A', line: 3, code: 'const a = 1;' },
      { heading: 'B', line: 10, code: 'const a = 1;\n// README: continues\nconsole.log(a); // 1' },
    ]);
    expect(() => examples('```typescript\nx\n```\n')).toThrow(/```ts/);
    expect(() => examples('```ts\nx\n')).toThrow(/unclosed/);
  });

  test('reads what a log line shows, and refuses a log that shows nothing', () => {
    expect(shownOutput("console.log(x.code); // ERR_X\nif (y) console.log(y); // [ 'a' ]")).toEqual(['ERR_X', "[ 'a' ]"]);
    expect(() => shownOutput('console.log(x);')).toThrow(/logs without showing/);
  });
});
