/**
 * The shapes a benchmark suite is written in, and the shapes its results come back in.
 *
 * @module
 */

/**
 * One timed operation: a single call is one op. It may return a promise, which the harness
 * then awaits inside the timed window; a synchronous op is called directly, with no microtask.
 */
export type Op = () => unknown;

/** One row of a suite's table: the same operation done by several implementations. */
export interface BenchCase {
  /** The row label, also matched by the command-line filter. */
  readonly name: string;
  /** Bytes processed by one op; when set, the table also shows MB/s for the row. */
  readonly bytes?: number;
  /** The op of each implementation, keyed by implementation name (`noble`, `node`, `jose`, …). */
  readonly ops: Readonly<Record<string, Op>>;
}

/** A per-implementation figure of the timing table; see {@link Suite.figures}. */
export type Figure = 'µs/op' | 'spread' | 'ops/s' | 'MB/s';

/**
 * A further table a suite prints after its timing table and records in its JSON, for facts
 * that are not timings (e.g. message sizes). It is built in setup and does not depend on them.
 */
export interface SuiteTable {
  /** Printed as a heading above the table. */
  readonly title: string;
  /** Column titles; the first column is left-aligned, every other one right-aligned. */
  readonly header: readonly string[];
  /** The cells, as printed (`—` where there is nothing). */
  readonly rows: readonly (readonly string[])[];
  /** Printed under the table as a bullet list. */
  readonly notes?: readonly string[];
  /** The figures behind the cells, as structured data for the JSON. */
  readonly data?: unknown;
}

/** What {@link Suite.setup} may return instead of a bare list of cases. */
export interface SuiteSetup {
  readonly cases: readonly BenchCase[];
  /** Remarks printed under the timing table as a bullet list (e.g. why a cell reads `—`). */
  readonly notes?: readonly string[];
  /** Further tables printed after the timing table and its notes, in order. */
  readonly tables?: readonly SuiteTable[];
  /** Called once the suite's cases ran (or were filtered out): releases what setup started (worker threads, connections). */
  readonly teardown?: () => unknown;
}

/** A group of cases printed as one table and written as `bench/results/<name>.json`. */
export interface Suite {
  /** Short stable name: the JSON file name and a command-line filter target. */
  readonly name: string;
  /** One line describing what is compared, printed above the table. */
  readonly title: string;
  /**
   * The implementation every other one is compared with: the ratio column `x/baseline` is
   * x's time per op divided by the baseline's, i.e. how many times faster the baseline is.
   */
  readonly baseline: string;
  /**
   * Further ratio columns, printed after the baseline's: each `[a, b]` adds a column `a/b`,
   * a's median time over b's (e.g. `['ward', 'floor']`: how far above the floor Ward is).
   */
  readonly ratios?: readonly (readonly [string, string])[];
  /**
   * The figures printed per implementation, in this order. Default: µs/op, spread, ops/s, and
   * MB/s when a case sets `bytes`. Fewer keep a table with many implementations readable; the
   * JSON always has every figure.
   */
  readonly figures?: readonly Figure[];
  /**
   * Creates keys, inputs and implementations once, outside any timed window, and returns the
   * cases (or the cases with notes and further tables). Table columns follow the order in
   * which implementation names first appear.
   */
  setup(): Promise<readonly BenchCase[] | SuiteSetup>;
}

/** How long and how often to measure, and what to measure (from env vars and arguments). */
export interface Settings {
  /** Rounds per implementation; the reported figure is the median across rounds. */
  readonly rounds: number;
  /** Time budget of one round of one implementation, in milliseconds. */
  readonly timeMs: number;
  /** Warm-up time of one implementation before its first round, in milliseconds. */
  readonly warmupMs: number;
  /** How long the run may go without progress before the stall detector kills it, in milliseconds. */
  readonly stallMs: number;
  /** Whether `BENCH_QUICK` chose the short defaults. */
  readonly quick: boolean;
  /** Lower-case substrings; a case runs when its name or its suite's name contains one. Empty: all. */
  readonly filters: readonly string[];
}

/** The measurement of one implementation of one case. */
export interface ImplResult {
  /** Median across rounds of the per-round mean time per op, in microseconds. */
  readonly medianUs: number;
  /** Fastest round, in microseconds per op. */
  readonly minUs: number;
  /** Slowest round, in microseconds per op. */
  readonly maxUs: number;
  /** Relative spread across rounds: (max − min) / median. */
  readonly spread: number;
  /** 1 / median, in ops per second. */
  readonly opsPerSec: number;
  /** Throughput in MB/s (10⁶ bytes), for cases with {@link BenchCase.bytes}. */
  readonly mbPerSec?: number;
  /** Ops per timed sample (calibrated in warm-up so a sample is well above timer resolution). */
  readonly batch: number;
  /** Ops timed in all rounds together. */
  readonly ops: number;
  /** Per-round mean time per op, in microseconds, in round order. */
  readonly roundsUs: readonly number[];
}

/** The results of one case. */
export interface CaseResult {
  readonly name: string;
  readonly bytes?: number;
  /** Per implementation, in column order. */
  readonly results: Readonly<Record<string, ImplResult>>;
  /** Per non-baseline implementation: its median time / the baseline's (absent if either is missing). */
  readonly ratios: Readonly<Record<string, number>>;
  /** Per {@link Suite.ratios} pair `a/b` (the key): a's median time / b's (absent if either is missing). */
  readonly pairRatios?: Readonly<Record<string, number>>;
}

/** The results of one suite. */
export interface SuiteResult {
  readonly name: string;
  readonly title: string;
  readonly baseline: string;
  /** Column order. */
  readonly implementations: readonly string[];
  /** The suite's further ratio columns, as `a/b` keys of {@link CaseResult.pairRatios}. */
  readonly ratioPairs?: readonly string[];
  /** The figures printed per implementation ({@link Suite.figures}). */
  readonly figures?: readonly Figure[];
  readonly cases: readonly CaseResult[];
  /** Remarks printed under the timing table ({@link SuiteSetup.notes}). */
  readonly notes?: readonly string[];
  /** Further tables ({@link SuiteSetup.tables}). */
  readonly tables?: readonly SuiteTable[];
}
