/*
 * The README's code examples are run as written, so the front page cannot drift from the API.
 * Each ```ts block under the named sections is copied to a temporary module and imported.
 * The modules live in a directory under the OS temp dir, never in the source tree; a
 * `node_modules` link in it to the repository's lets their `@ward/*` imports resolve.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test, vi } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'ward-readme-'));
symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'junction');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function example(section: string): string {
  const start = readme.indexOf(`## ${section}`);
  const open = readme.indexOf('```ts\n', start);
  const close = readme.indexOf('\n```', open + 6);
  if (start < 0 || open < 0 || close < 0) throw new Error(`README has no ts example under "## ${section}"`);
  return readme.slice(open + 6, close);
}

describe('README examples run as written', () => {
  test.each([
    ['Sealing data', ['{"count":42}', 1041]],
    ['Using a crypto backend', ['ERR_DECRYPTION_FAILED']],
    ['Key lifecycle', ['{"event":"fall, ambulance called"}', 2]],
    ['Policy: Rego decides every open', [['purpose-not-permitted'], '{"count":42}', 7]],
  ] as const)('%s', async (section, expected) => {
    const file = join(scratch, `${section.replace(/\W+/g, '-')}.ts`);
    const logged: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
    try {
      writeFileSync(file, `${example(section)}\nconsole.log(...(typeof plaintext === 'undefined' ? [] : [new TextDecoder().decode(plaintext), facts.provenance.sequence]));\n`);
      await import(file);
    } finally {
      log.mockRestore();
    }
    expect(logged.flat()).toEqual(expected);
  });
});
