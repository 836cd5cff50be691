/*
 * Test-only: the pinned OPA binary (scripts/ensure-opa.sh finds or installs it) for
 * differential tests, and the builtin fixtures' rebuild (src/policy/evaluation/builtin-fixtures/build.sh).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let binary: string | undefined;

/** The pinned OPA binary's path (scripts/ensure-opa.sh; installs it when missing). */
export function opaBinary(): string {
  binary ??= execFileSync('bash', [`${ROOT}scripts/ensure-opa.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
  return binary;
}

/** JSON text with bigint written as exact integer digits. */
export function jsonWithBigInts(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}\u0000` : v)).replace(/"\\u0000(-?\d+)\\u0000"/g, '$1');
}

/**
 * Runs `opa eval` (builtin errors non-strict, as OPA's default) on `query` with `input` and
 * returns the first expression's value, or undefined when the query is undefined.
 */
export function opaEval(query: string, input: unknown, extra: readonly string[] = []): unknown {
  const out = execFileSync(opaBinary(), ['eval', '--stdin-input', '--format', 'json', ...extra, query], {
    input: jsonWithBigInts(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  const parsed = JSON.parse(out) as { result?: { expressions: { value: unknown }[] }[] };
  return parsed.result?.[0]?.expressions[0]?.value;
}

/** Rebuilds the builtin fixtures into `dir` with the pinned OPA. */
export function buildBuiltinFixtures(dir: string): void {
  execFileSync('bash', [`${ROOT}packages/core/src/policy/evaluation/builtin-fixtures/build.sh`, dir], { env: { ...process.env, OPA: opaBinary() }, stdio: ['ignore', 'ignore', 'inherit'] });
}
