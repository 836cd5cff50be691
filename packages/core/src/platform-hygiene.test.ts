/*
 * The platform lint is a security property of the architecture (core runs everywhere on
 * noble), so it is tested like one: the rule must fire on each kind of violation, and core's
 * shipped source must be clean.
 */
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: root });
const corePath = `${root}packages/core/src/hygiene-probe.ts`;

async function ruleIds(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: corePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('@ward/core platform hygiene lint', () => {
  it.each([
    ["import { readFileSync } from 'node:fs'; export const f = readFileSync;", 'no-restricted-imports'],
    ["import { createHash } from 'crypto'; export const h = createHash;", 'no-restricted-imports'],
    ['export const env = process.env;', 'no-restricted-globals'],
    ["export const b = Buffer.from('x');", 'no-restricted-globals'],
    ['export const w = window;', 'no-restricted-globals'],
    ['export const s = crypto.subtle;', 'no-restricted-properties'],
    ['export const p = globalThis.process;', 'no-restricted-properties'],
  ])('rejects %s', async (code, rule) => {
    expect(await ruleIds(code)).toContain(rule);
  });

  it('allows crypto.getRandomValues, TextEncoder and TextDecoder', async () => {
    const code = 'export const r = crypto.getRandomValues(new Uint8Array(4)); export const t = [TextEncoder, TextDecoder];';
    expect(await ruleIds(code)).toEqual([]);
  });

  it('finds no violation in packages/core/src', async () => {
    const results = await eslint.lintFiles(['packages/core/src/**/*.ts']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId}`));
    expect(problems).toEqual([]);
  });
});
