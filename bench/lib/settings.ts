import type { Settings } from './types.js';

/** Full run: 9 rounds of 100 ms per implementation after a 100 ms warm-up. */
const FULL = { rounds: 9, timeMs: 100, warmupMs: 100 } as const;
/** `BENCH_QUICK=1`: a smoke run for CI, a few seconds for the primitives. */
const QUICK = { rounds: 3, timeMs: 10, warmupMs: 10 } as const;
/** Seconds without progress (one warm-up or one round of one implementation) before the run is killed. */
const STALL_S = 120;

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/**
 * Reads the run settings: `BENCH_QUICK` (any value but `0`/`false` picks the quick defaults),
 * then `BENCH_ROUNDS`, `BENCH_TIME_MS` and `BENCH_WARMUP_MS` override either set of defaults;
 * `BENCH_STALL_S` sets the stall detector's limit.
 * Each argument is a case-insensitive filter: a case runs when its name or its suite's name
 * contains one of them.
 *
 * @param env - the environment, `process.env` by default
 * @param args - the command-line arguments after the script, `process.argv.slice(2)` by default
 * @throws Error when a numeric variable is not a positive integer
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, args: readonly string[] = process.argv.slice(2)): Settings {
  const flag = env.BENCH_QUICK;
  const quick = flag !== undefined && flag !== '' && flag !== '0' && flag.toLowerCase() !== 'false';
  const defaults = quick ? QUICK : FULL;
  return {
    rounds: positiveInteger(env, 'BENCH_ROUNDS', defaults.rounds),
    timeMs: positiveInteger(env, 'BENCH_TIME_MS', defaults.timeMs),
    warmupMs: positiveInteger(env, 'BENCH_WARMUP_MS', defaults.warmupMs),
    stallMs: positiveInteger(env, 'BENCH_STALL_S', STALL_S) * 1000,
    quick,
    filters: args.map((arg) => arg.toLowerCase()).filter((arg) => arg !== ''),
  };
}

/**
 * Whether a case is selected by the filters: no filters select everything; otherwise the
 * suite's or the case's name must contain one of them.
 *
 * @param filters - lower-case substrings from {@link loadSettings}
 */
export function isSelected(filters: readonly string[], suiteName: string, caseName: string): boolean {
  if (filters.length === 0) return true;
  const suite = suiteName.toLowerCase();
  const name = caseName.toLowerCase();
  return filters.some((filter) => suite.includes(filter) || name.includes(filter));
}
